#!/usr/bin/env bash
# One command: installs the anchors (Debian's node_exporter and process-exporter), builds
# virtnet_exporter in Release, builds the synthetic hypervisor and measures. Needs root.
#   bash bench/run.sh                       N = 50, 200, 800; table + bench/out/results.json
#   bash bench/run.sh --vms 200 --rounds 3  any of run.py's options
# With --build-dir DIR it uses that build instead of building build-release (ctest does this).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --bench
if [[ " $* " != *" --build-dir "* ]]; then
  cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-release -j"$(nproc)" --target virtnet_exporter fake_qemu floor >/dev/null
fi
exec python3 bench/run.py "$@"
