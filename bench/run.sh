#!/usr/bin/env bash
# Builds Release and runs the benchmarks: ./bench/run.sh [vault] [rest] [smtp] [memory] [--seconds N] [--concurrency N]
set -euo pipefail
cd "$(dirname "$0")/.."
export OME_BUILD_SLOT=${OME_BUILD_SLOT:-bench}
dotnet build src/OmePortal.Web -c Release -nologo -v:q
dotnet build bench/OmePortal.Bench -c Release -nologo -v:q
web_dll=src/OmePortal.Web/bin/$OME_BUILD_SLOT/Release/net10.0/OmePortal.Web.dll
dotnet bench/OmePortal.Bench/bin/$OME_BUILD_SLOT/Release/net10.0/OmePortal.Bench.dll --web-dll "$web_dll" "$@"
