#!/usr/bin/env bash
# Builds Release and runs the benchmarks: ./bench/run.sh [vault] [rest] [smtp] [memory] [read] [preview] [scale] [--seconds N] [--concurrency N (REST clients)] [--sessions N (SMTP sessions, default 10)] [--storage sqlite|postgres] [--nagle] [--hold N (reading: keep the signed-in portal up N s first, for a profiler)]
set -euo pipefail
cd "$(dirname "$0")/.."
export OME_BUILD_SLOT=${OME_BUILD_SLOT:-bench}
# The reading benchmark drives wrk; install it when missing and running as root (Debian).
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
  else
    echo "bench/run.sh: the reading benchmark needs wrk (apt-get install wrk)" >&2
  fi
fi
# The scaling benchmark runs the portal on PostgreSQL (fsync on, as in production), Azurite and Redis;
# REST and SMTP ingest run on SQLite and on the same PostgreSQL.
engines_started=false postfix_dir=
cleanup() {
  if [ -n "$postfix_dir" ]; then bench/postfix-reference.sh stop "$postfix_dir"; rm -rf "$postfix_dir"; fi
  if $engines_started; then engines_stop; fi
}
trap cleanup EXIT
if [[ " $* " =~ \ (scale|rest|smtp)\  ]]; then
  root=$(pwd)
  say() { printf '\n== %s\n' "$*" >&2; }
  fail() { echo "bench/run.sh: $*" >&2; exit 1; }
  # shellcheck source=../tools/engines.sh
  . tools/engines.sh
  engines_init
  engines_started=true
  start_postgres "$(free_port)" on
  export OMEPORTAL_BENCH_POSTGRES="$engines_postgres"
  if [[ " $* " == *" scale "* ]]; then
    start_redis
    start_azurite
    export OMEPORTAL_BENCH_REDIS="$engines_redis" OMEPORTAL_BENCH_AZURITE="$engines_azurite"
  fi
fi
# The SMTP benchmark compares the gateway with Postfix: a private instance on a loopback port that queues
# (with fsync) and discards, installed when missing (as root); the system's own Postfix is left alone.
if [[ " $* " == *" smtp "* ]]; then
  postfix_dir=$(mktemp -d /tmp/omeportal-bench-postfix.XXXXXX)
  postfix_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if bench/postfix-reference.sh start "$postfix_dir" "$postfix_port"; then
    export OMEPORTAL_BENCH_POSTFIX="127.0.0.1:$postfix_port"
  else
    echo "bench/run.sh: Postfix could not be started; the SMTP benchmark runs without its reference" >&2
  fi
fi
dotnet build src/OmePortal.Web -c Release -nologo -v:q
dotnet build bench/OmePortal.Bench -c Release -nologo -v:q
web_dll=src/OmePortal.Web/bin/$OME_BUILD_SLOT/Release/net10.0/OmePortal.Web.dll
dotnet bench/OmePortal.Bench/bin/$OME_BUILD_SLOT/Release/net10.0/OmePortal.Bench.dll --web-dll "$web_dll" "$@"
