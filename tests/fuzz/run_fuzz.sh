#!/usr/bin/env bash
# run_fuzz.sh BINARY SEED_DIR WORK_DIR SECONDS: runs a libFuzzer target for a bounded time.
# New inputs go to WORK_DIR (in the build tree) so the checked-in seeds stay as they are.
set -euo pipefail
bin=$1 seeds=$2 work=$3 seconds=$4
mkdir -p "$work/corpus" "$work/artifacts"
exec "$bin" -max_total_time="$seconds" -max_len=8192 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds"
