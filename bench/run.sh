#!/usr/bin/env bash
# Builds Release and runs the benchmarks: ./bench/run.sh [vault] [rest] [smtp] [memory] [read] [scale] [--seconds N] [--concurrency N] [--hold N (reading: keep the signed-in portal up N s first, for a profiler)]
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
# The scaling benchmark runs the portal on PostgreSQL (fsync on, as in production), Azurite and Redis.
if [[ " $* " == *" scale "* ]]; then
  root=$(pwd)
  say() { printf '\n== %s\n' "$*" >&2; }
  fail() { echo "bench/run.sh: $*" >&2; exit 1; }
  # shellcheck source=../tools/engines.sh
  . tools/engines.sh
  engines_init
  trap engines_stop EXIT
  start_postgres "$(free_port)" on
  start_redis
  start_azurite
  export OMEPORTAL_BENCH_POSTGRES="$engines_postgres" OMEPORTAL_BENCH_REDIS="$engines_redis" OMEPORTAL_BENCH_AZURITE="$engines_azurite"
fi
dotnet build src/OmePortal.Web -c Release -nologo -v:q
dotnet build bench/OmePortal.Bench -c Release -nologo -v:q
web_dll=src/OmePortal.Web/bin/$OME_BUILD_SLOT/Release/net10.0/OmePortal.Web.dll
dotnet bench/OmePortal.Bench/bin/$OME_BUILD_SLOT/Release/net10.0/OmePortal.Bench.dll --web-dll "$web_dll" "$@"
