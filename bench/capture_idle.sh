#!/usr/bin/env bash
# The exporter at rest: virtnet_exporter with every collector on (its defaults, vrrp and bpdu) in
# a network namespace of the script's own (a bridge with a veth pair and a tap, so the vrrp and
# bpdu captures have links to watch), no traffic and no scrape for SECONDS; then, per thread, the
# CPU it used and how often it woke (voluntary context switches), from /proc/PID/task/TID.
# Needs root.
#   bash bench/capture_idle.sh [SECONDS (60)] [BUILD_DIR (build-release)]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
BUILD=${2:-build-release}
NS=virtnet-idle-$$
PID=
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add br0 type bridge
ip -n "$NS" link add v0 type veth peer name v1
ip -n "$NS" tuntap add tap0 mode tap
for l in v0 tap0; do ip -n "$NS" link set "$l" master br0; done
for l in br0 v0 v1 tap0; do ip -n "$NS" link set "$l" up; done
ip netns exec "$NS" "$BUILD/virtnet_exporter" --web.listen-address=127.0.0.1:19199 \
  --log.level=warn --collector.vrrp --collector.bpdu &
PID=$!
sleep 3  # started, captures open
snapshot() {  # tid comm ticks voluntary
  for t in /proc/"$PID"/task/*; do
    local comm ticks vol
    comm=$(tr ' ' '_' <"$t/comm")
    ticks=$(awk '{sub(/^.*\) /, ""); print $12 + $13}' "$t/stat")
    vol=$(awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status")
    echo "${t##*/} $comm $ticks $vol"
  done
}
snapshot >"/tmp/$NS.before"
sleep "$SECS"
snapshot >"/tmp/$NS.after"
hz=$(getconf CLK_TCK)
echo "over ${SECS} s idle (no traffic, no scrape), per thread:"
printf '%-16s %10s %14s\n' thread "CPU ms" "wake-ups/s"
join <(sort "/tmp/$NS.before") <(sort "/tmp/$NS.after") |
  awk -v hz="$hz" -v s="$SECS" '{printf "%-16s %10.0f %14.2f\n", $2, ($6 - $3) * 1000 / hz, ($7 - $4) / s}' |
  sort
rm -f "/tmp/$NS.before" "/tmp/$NS.after"
