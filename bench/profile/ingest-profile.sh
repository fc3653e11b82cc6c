#!/usr/bin/env bash
# Profiles the portal process while the ingest benchmark drives it:
#   ingest-profile.sh rest|smtp CONCURRENCY OUTDIR
# Expects Release builds of src/OmePortal.Web and bench/OmePortal.Bench in slot $OME_BUILD_SLOT (default bench),
# perf and strace (Debian), and dotnet-trace/dotnet-counters in $PROFILE_TOOLS (dotnet tool install --tool-path DIR).
# Runs as root. Windows on the one portal process, each counted by the .content blobs that appear in it:
#   1. perf record (CPU samples with JIT frames from the runtime's perf map) + dotnet-counters
#   2. dotnet-trace, sampled thread time (kept for reading in PerfView or speedscope)
#   3. strace of fsync/fdatasync/rename/openat/sleeps with wall time and paths (slows the process; counts per message stay valid)
#   4. strace -k of the sleeps, for their native stacks
# Then: bench/profile/stages.py OUTDIR (one run) or stages.py --table DIR... (runs side by side).
set -euo pipefail
mode=$1 concurrency=$2 out=$3
root=${OME_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
slot=${OME_BUILD_SLOT:-bench}
tools=${PROFILE_TOOLS:-$HOME/.dotnet/tools}
perf_seconds=${PERF_SECONDS:-12}
trace_seconds=${TRACE_SECONDS:-10}
strace_seconds=${STRACE_SECONDS:-4}
settle_seconds=${SETTLE_SECONDS:-12}
web_dll=$root/src/OmePortal.Web/bin/$slot/Release/net10.0/OmePortal.Web.dll
bench_dll=$root/bench/OmePortal.Bench/bin/$slot/Release/net10.0/OmePortal.Bench.dll
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Perf map for JIT code; ReadyToRun off so that framework code is jitted and named in the map too, and W^X off
# so that jitted code sits in anonymous memory, where perf looks it up in the map (not in a memfd double mapping).
total=$((3 + settle_seconds + perf_seconds + trace_seconds + strace_seconds + 2 + 8))
DOTNET_PerfMapEnabled=3 DOTNET_ReadyToRun=0 DOTNET_EnableWriteXorExecute=0 dotnet "$bench_dll" --web-dll "$web_dll" "$mode" --concurrency "$concurrency" --seconds "$total" >"$out/bench.md" 2>"$out/bench.err" &
bench=$!
portal=
for _ in $(seq 600); do
  portal=$(pgrep -P "$bench" -f OmePortal.Web.dll || true)
  [ -n "$portal" ] && break
  sleep 0.1
done
[ -n "$portal" ] || { echo "no portal process" >&2; exit 1; }
data=$(tr '\0' '\n' <"/proc/$portal/environ" | sed -n 's/^OmePortal__DataDirectory=//p')
count() { find "$data" -name '*.content' 2>/dev/null | wc -l; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Wait for the first messages, then let tiered JIT settle.
until [ "$(count)" -gt 0 ]; do sleep 0.2; done
sleep "$settle_seconds"
find "$data" -maxdepth 3 -type d >"$out/layout.txt"
window() { # name, command...
  local name=$1; shift
  local c0 p0 b0 t0
  c0=$(count); p0=$(cpu "$portal"); b0=$(cpu "$bench"); t0=$(date +%s.%N)
  "$@" || true
  echo "$name messages=$(( $(count) - c0 )) seconds=$(echo "$(date +%s.%N) - $t0" | bc) portal_cpu_ticks=$(( $(cpu "$portal") - p0 )) client_cpu_ticks=$(( $(cpu "$bench") - b0 ))" >>"$out/windows.txt"
}
: >"$out/windows.txt"
echo "mode=$mode concurrency=$concurrency portal=$portal clk_tck=$(getconf CLK_TCK)" >>"$out/windows.txt"
"$tools/dotnet-counters" collect -p "$portal" --counters System.Runtime,Microsoft.EntityFrameworkCore --format csv -o "$out/counters.csv" --duration "00:00:00:$perf_seconds" >/dev/null 2>&1 &
counters=$!
window perf perf record -F 499 -g -p "$portal" -o "$out/perf.data" -- sleep "$perf_seconds" 2>"$out/perf-record.err"
wait "$counters" || true
window trace "$tools/dotnet-trace" collect -p "$portal" --profile dotnet-sampled-thread-time --duration "00:00:00:$trace_seconds" -o "$out/trace.nettrace" >"$out/trace.log" 2>&1
window strace timeout -s INT "$strace_seconds" strace -f -T -y -e trace=fsync,fdatasync,rename,renameat,renameat2,nanosleep,clock_nanosleep,openat,unlink,unlinkat -p "$portal" -o "$out/strace.log"
# Who sleeps: native stacks of the nanosleeps (SQLite's busy handler shows as sqliteDefaultBusyCallback/unixSleep).
window sleepstack timeout -s INT 2 strace -f -k -e trace=nanosleep,clock_nanosleep -p "$portal" -o "$out/sleepstack.log"
wait "$bench" || echo "bench exited $?" >>"$out/windows.txt"
perf script -i "$out/perf.data" -F comm,tid,ip,sym,dso >"$out/perf.txt" 2>/dev/null
# The runtime leaves its perf maps in /tmp; perf.txt has the names now.
rm -f "/tmp/perf-$portal.map" "/tmp/perf-$bench.map"
cat "$out/windows.txt"
