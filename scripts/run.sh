#!/usr/bin/env bash
# Builds virtnet_exporter (Release) and runs it with its built-in defaults; extra arguments are
# passed to the exporter (e.g. --web.listen-address=127.0.0.1:10120).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j"$(nproc)" --target virtnet_exporter >/dev/null
listen=":10120"
for a in "$@"; do
  case $a in --web.listen-address=*) listen=${a#*=} ;; esac
done
host=${listen%:*}
echo "virtnet_exporter: scrape http://${host:-localhost}:${listen##*:}/metrics"
exec build-release/virtnet_exporter "$@"
