#!/usr/bin/env bash
# What a flood of VRRP advertisements costs the vrrp collector: RATE frames a second from 10,000
# spoofed (source, VRID) pairs (tests/support/vrrp_flood.cc), over a veth between two namespaces
# of the script's own, to an exporter capturing in one of them, for SECONDS; then the same with
# random protocol-112 payloads. For this tree's exporter with its default CPU budget (10 % of a
# core) and with none (capture_cpu_percent=100: the raw cost of a frame), and, given BEFORE (an
# older binary), for it too, side by side. Prints, per run: the frames sent, the exporter's CPU
# (share of a core, from /proc), the frames the capture read (sent less the kernel's drops) and
# the CPU per frame read, the drops, the sources table's evictions. Needs root; run it on a quiet
# machine (the sender takes a core).
#   bash bench/vrrp_flood.sh [SECONDS (10)] [RATE (175000)] [BUILD_DIR (build-release)] [BEFORE]
set -euo pipefail
cd "$(dirname "$0")/.."
D=${1:-10} RATE=${2:-175000} BUILD=${3:-build-release} BEFORE=${4:-}
if [[ $BUILD == build-release ]]; then
  bash scripts/deps.sh
  cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-release -j"$(nproc)" --target virtnet_exporter >/dev/null
fi
TMP=$(mktemp -d)
TX=vb-flood-tx-$$ RXNS=vb-flood-rx-$$ PORT=10191
cleanup() {
  [[ -n ${EXP:-} ]] && kill "$EXP" 2>/dev/null || true
  ip netns del "$TX" 2>/dev/null || true
  ip netns del "$RXNS" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
g++ -O2 -std=c++20 -o "$TMP/vrrp_flood" tests/support/vrrp_flood.cc
ip netns add "$TX"
ip netns add "$RXNS"
ip link add vt netns "$TX" type veth peer name vr netns "$RXNS"
ip -n "$TX" link set vt up
ip -n "$RXNS" link set vr up
ip -n "$RXNS" link set lo up
tick=$(getconf CLK_TCK)

run() {  # run LABEL MODE BINARY [ARGS...]
  local label=$1 mode=$2 bin=$3
  shift 3
  ip netns exec "$RXNS" "$bin" --web.listen-address=127.0.0.1:$PORT --collector.disable-defaults \
    --collector.vrrp "$@" >"$TMP/exporter.log" 2>&1 &
  EXP=$!
  for _ in $(seq 100); do
    ip netns exec "$RXNS" curl -sf -o /dev/null "http://127.0.0.1:$PORT/-/ready" && break
    sleep 0.1
  done
  sleep 1
  local c0 c1 w0 w1 sent
  c0=$(awk '{ print $14 + $15 }' "/proc/$EXP/stat")
  w0=$(date +%s.%N)
  sent=$(ip netns exec "$TX" "$TMP/vrrp_flood" vt 10000 "$RATE" "$D" "$mode" | awk '{ print $2 }')
  w1=$(date +%s.%N)
  c1=$(awk '{ print $14 + $15 }' "/proc/$EXP/stat")
  sleep 1.2 # the drops are read once a second
  ip netns exec "$RXNS" curl -s "http://127.0.0.1:$PORT/metrics" >"$TMP/m"
  kill "$EXP"
  wait "$EXP" 2>/dev/null || true
  EXP=
  awk -v label="$label" -v mode="$mode" -v sent="$sent" -v cpu=$((c1 - c0)) -v t="$tick" \
    -v w0="$w0" -v w1="$w1" '
    /^virtnet_vrrp_packets_dropped_total/ { dropped += $2 }
    /^virtnet_background_evictions_total\{collector="vrrp"(,table="sources")?\}/ { evicted = $2 }
    END {
      s = w1 - w0; read = sent - dropped; c = cpu / t
      printf "%-22s %-6s %9d %6.1f%% %9d %8.2f %9d %9d\n", label, mode, sent, c / s * 100, read,
        (read > 0 ? c / read * 1e6 : 0), dropped, evicted
    }' "$TMP/m"
}

printf "%-22s %-6s %9s %7s %9s %8s %9s %9s\n" exporter flood sent core read us/read dropped evicted
for mode in valid random; do
  run "virtnet (10 % budget)" "$mode" "$BUILD/virtnet_exporter"
  run "virtnet (no budget)" "$mode" "$BUILD/virtnet_exporter" --collector.vrrp.capture-cpu-percent=100
  [[ -n $BEFORE ]] && run "before" "$mode" "$BEFORE"
done
