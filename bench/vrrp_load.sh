#!/usr/bin/env bash
# What the vrrp collector costs under load: R virtual routers (VLANs 1..R/250 x VRIDs 1..250, one
# advertisement a second each, from keepalived's captured bytes) sent over a veth between two
# namespaces of the script's own to an exporter capturing in one of them, for D seconds; then the
# same exporter idle for D seconds. Prints the CPU the advertisements cost (per advertisement and
# in % of a core; the idle run is subtracted, so run it on a quiet machine), the scrape's size and
# time, and RSS. Needs root.
#   bash bench/vrrp_load.sh [ROUTERS (1000)] [SECONDS (20)] [BUILD_DIR (build-release)]
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-1000} D=${2:-20} BUILD=${3:-build-release}
if [[ $BUILD == build-release ]]; then
  bash scripts/deps.sh
  cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-release -j"$(nproc)" --target virtnet_exporter >/dev/null
fi
TX=vb-vrrp-tx-$$ RXNS=vb-vrrp-rx-$$ PORT=10190  # in the receiving namespace: no other listener
cleanup() {
  [[ -n ${EXP:-} ]] && kill "$EXP" 2>/dev/null || true
  ip netns del "$TX" 2>/dev/null || true
  ip netns del "$RXNS" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$TX"
ip netns add "$RXNS"
ip link add vt netns "$TX" type veth peer name vr netns "$RXNS"
ip -n "$TX" link set vt up
ip -n "$RXNS" link set vr up
ip -n "$RXNS" link set lo up
ip netns exec "$RXNS" "$BUILD/virtnet_exporter" --web.listen-address=127.0.0.1:$PORT \
  --collector.disable-defaults --collector.vrrp --collector.vrrp.max-routers=$((R + 16)) \
  >/tmp/vrrp_load.$$.log 2>&1 &
EXP=$!
for _ in $(seq 100); do
  ip netns exec "$RXNS" curl -sf -o /dev/null "http://127.0.0.1:$PORT/-/ready" && break
  sleep 0.1
done
cpu() { awk '{ print $14 + $15 }' "/proc/$EXP/stat"; }
scrape_stats() {  # bytes and mean seconds over 10 scrapes
  ip netns exec "$RXNS" bash -c "for i in \$(seq 10); do curl -s -o /dev/null -w '%{size_download} %{time_total}\n' http://127.0.0.1:$PORT/metrics; done" |
    awk '{ b = $1; t += $2 } END { printf "%d %.4f\n", b, t / NR }'
}
tick=$(getconf CLK_TCK)
c0=$(cpu)
ip netns exec "$TX" /usr/bin/python3 - tests/fixtures/vrrp/v2_ipv4_vrid51.bin "$R" "$D" <<'PY'
import socket, struct, sys, time
f = bytearray(open(sys.argv[1], "rb").read())
routers, seconds = int(sys.argv[2]), int(sys.argv[3])
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), bytes(b)))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
frames = []
for r in range(routers):
    vlan, vrid = 1 + r // 250, 1 + r % 250
    g = bytearray(f)
    vr = g[34:]
    vr[1] = vrid; vr[6:8] = b"\0\0"; vr[6:8] = struct.pack("!H", csum(vr))
    g[34:] = vr
    frames.append(bytes(g[:12] + struct.pack("!HH", 0x8100, vlan) + g[12:]))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("vt", 0))
start = time.time()
for sec in range(seconds):
    for i, fr in enumerate(frames):
        s.send(fr)
        if i % 10 == 9:  # spread over the second, ten at a time
            time.sleep(max(0, start + sec + (i + 1) / routers - time.time()))
    time.sleep(max(0, start + sec + 1 - time.time()))
PY
c1=$(cpu)
read -r bytes secs < <(scrape_stats)
c2=$(cpu)
sleep "$D"
c3=$(cpu)
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$EXP/status")
adverts=$(ip netns exec "$RXNS" curl -s http://127.0.0.1:$PORT/metrics |
  awk '/^virtnet_vrrp_advertisements_total/ { n += $2 } END { print n + 0 }')
dropped=$(ip netns exec "$RXNS" curl -s http://127.0.0.1:$PORT/metrics |
  awk '/^virtnet_vrrp_packets_dropped_total/ { n += $2 } END { print n + 0 }')
awk -v r="$R" -v d="$D" -v t="$tick" -v loaded=$((c1 - c0)) -v idle=$((c3 - c2)) -v n="$adverts" \
  -v b="$bytes" -v s="$secs" -v rss="$rss" -v dr="$dropped" 'BEGIN {
  net = (loaded - idle) / t
  printf "vrrp load: %d routers x 1/s for %d s: %d advertisements counted, %s dropped\n", r, d, n, dr
  printf "  CPU: %.2f s loaded, %.2f s idle (same length) -> %.1f us per advertisement, %.2f%% of a core\n",
    loaded / t, idle / t, (n > 0 ? net / n * 1e6 : 0), net / d * 100
  printf "  scrape: %d bytes, %.1f ms mean of 10; RSS %.1f MiB\n", b, s * 1000, rss / 1024
}'
