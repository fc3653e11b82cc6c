#!/usr/bin/env bash
# Installs what the tests need (when missing), starts a throwaway PostgreSQL (and Redis and Azurite),
# runs every test project against SQLite, PostgreSQL and PostgreSQL + Azure Blob, stops what it
# started. Exits non-zero on any failure.
# Under CI=true a missing prerequisite is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
ci=${CI:-false}

say() { printf '\n== %s\n' "$*"; }
fail() { echo "test.sh: $*" >&2; exit 1; }

need_root_install() {
  # $1 = package list; installs with apt-get when running as root, else fails with advice.
  if [ "$(id -u)" -ne 0 ]; then
    fail "missing $1 and not root: install it (apt-get install -y $1) or run as root"
  fi
  say "installing $1"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -qq $1 >/dev/null
}

command -v dotnet >/dev/null || fail "the .NET 10 SDK (dotnet) is required"

# --- PostgreSQL (integration tests run on it as well as on SQLite) ---
pg_bin=""
find_pg() { pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true); }
find_pg
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  need_root_install postgresql
  find_pg
fi
[ -x "$pg_bin/initdb" ] || fail "PostgreSQL server binaries not found after install"

# --- Chromium (browser tests) ---
if ! command -v chromium >/dev/null; then
  need_root_install chromium
fi
command -v chromium >/dev/null || fail "chromium not found after install"

# --- nginx (the reverse-proxy tests put Debian's nginx in front of the real portal) ---
nginx_bin=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
if [ -z "$nginx_bin" ]; then
  need_root_install nginx
  nginx_bin=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
fi
[ -x "$nginx_bin" ] || fail "nginx not found after install"

# --- Redis (nodes share rate-limit counters and brand previews through it) ---
redis_bin=$(command -v redis-server || ls /usr/bin/redis-server 2>/dev/null || true)
if [ -z "$redis_bin" ]; then
  need_root_install redis-server
  redis_bin=$(command -v redis-server || ls /usr/bin/redis-server 2>/dev/null || true)
fi
[ -x "$redis_bin" ] || fail "redis-server not found after install"

# --- gpg and openssl check what the portal sends end to end, independently of MimeKit ---
command -v gpg >/dev/null || need_root_install gnupg
command -v openssl >/dev/null || need_root_install openssl
command -v gpg >/dev/null && command -v openssl >/dev/null || fail "gpg or openssl not found after install"

# --- attachment previews: poppler renders PDF pages, LibreOffice turns Office documents into PDF ---
command -v pdftoppm >/dev/null || need_root_install poppler-utils
command -v soffice >/dev/null || need_root_install "libreoffice-core-nogui libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui"
command -v pdftoppm >/dev/null && command -v soffice >/dev/null || fail "pdftoppm or soffice not found after install"

# --- the production guide's commands (docs/deploying.md): its unit is checked by systemd-analyze ---
command -v systemd-analyze >/dev/null || need_root_install systemd
command -v systemd-analyze >/dev/null || fail "systemd-analyze not found after install"
command -v curl >/dev/null || need_root_install curl

# --- axe-core for the accessibility checks of the browser tests ---
command -v npm >/dev/null || need_root_install "nodejs npm"
say "installing axe-core"
(cd tests/OmePortal.Browser.Tests && npm ci --no-audit --no-fund --silent) || fail "npm ci (axe-core) failed"
export OMEPORTAL_AXE="$root/tests/OmePortal.Browser.Tests/node_modules/axe-core/axe.min.js"

# --- throwaway PostgreSQL, Redis and Azurite (Azure Blob Storage) on loopback (tools/engines.sh) ---
# The cluster runs without fsync: the tests kill the portal, never the database server.
# shellcheck source=tools/engines.sh
. tools/engines.sh
engines_init
trap engines_stop EXIT
start_postgres "${OMEPORTAL_TEST_PG_PORT:-55432}" off
start_redis
start_azurite
export OMEPORTAL_TEST_POSTGRES="$engines_postgres" OMEPORTAL_TEST_PGDATA="$engines_pgdata"
export OMEPORTAL_TEST_REDIS="$engines_redis"
export OMEPORTAL_TEST_AZURITE="$engines_azurite" OMEPORTAL_TEST_AZURITE_DIR="$engines_azurite_data"
export OMEPORTAL_CHROMIUM=$(command -v chromium)
export OMEPORTAL_NGINX="$nginx_bin"

say "building"
dotnet build OmePortal.sln -c Release -warnaserror -nologo -v:q

status=0
results="$root/TestResults"
rm -rf "$results"
for project in tests/*.Tests/*.csproj; do
  name=$(basename "$project" .csproj)
  say "testing $name"
  if ! dotnet test "$project" -c Release --no-build --nologo \
      --logger "console;verbosity=normal" --logger "trx;LogFileName=$name.trx" --results-directory "$results"; then
    status=1
  fi
done

say "summary"
python3 - "$results" <<'PY' || true
import sys, glob, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/*.trx"):
    run = ET.parse(f).getroot()
    c = run.find("t:ResultSummary/t:Counters", ns)
    if c is None: continue
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0))
    skipped += int(c.get("notExecuted", 0))
    # The CI log keeps only its tail, so the failures are named here, after every project's output.
    for r in run.iterfind(".//t:UnitTestResult", ns):
        if r.get("outcome") in ("Failed", "Error"):
            message = r.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=ns).strip()
            print(f"FAILED {r.get('testName')}: {message.splitlines()[0][:300] if message else '(no message)'}")
            # A timeout names no step; the frames in the project's own code say which one hung.
            trace = r.findtext("t:Output/t:ErrorInfo/t:StackTrace", default="", namespaces=ns)
            for line in [l.strip() for l in trace.splitlines() if "/tests/" in l][:4]:
                print(f"    {line[:300]}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
