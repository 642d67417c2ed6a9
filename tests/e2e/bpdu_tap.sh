#!/usr/bin/env bash
# Incident 6 in a namespace of the test's own: an "instance" (a tap written to as qemu would)
# sends BPDUs into a bridge with STP off, which forwards them out of its other port. The bpdu
# collector counts them received on the tap and sent out of the uplink; `diagnose --watch` taken
# while they flow names the tap (exit 1); before they flow it finds nothing (exit 0).
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root to create network namespaces and taps"
N=vt-bpdu-$$
ip netns add "$N" || skip "cannot create a network namespace here"
CLEANUPS+=("ip netns del $N")
in_n() { ip -n "$N" "$@"; }
in_n link set lo up
in_n link add br0 type bridge stp_state 0
in_n tuntap add tapinst1 mode tap
in_n link add uplink0 type veth peer name switch0
for l in tapinst1 uplink0; do in_n link set "$l" master br0; done
for l in br0 tapinst1 uplink0 switch0; do in_n link set "$l" up; done
send() { ip netns exec "$N" /usr/bin/python3 "$SRC_DIR/tests/support/bpdu_send.py" tapinst1 "$1"; }
ARGS=(--collector.disable-defaults --collector.bpdu)

rc=0
ip netns exec "$N" "$EXPORTER" diagnose --watch 1s "${ARGS[@]}" >"$WORK/clean.txt" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || fail "diagnose with no BPDUs: exit $rc: $(cat "$WORK/clean.txt")"

NETNS=$N start_exporter "$EXPORTER" "${ARGS[@]}"
send 3
sleep 0.3
NETNS=$N scrape >"$WORK/m"
expect_value 'virtnet_scrape_collector_success{collector="bpdu"}' 1 "$WORK/m"
expect_value 'virtnet_bpdu_frames_total{interface="tapinst1",direction="received",kind="stp"}' 3 "$WORK/m"
expect_value 'virtnet_bpdu_frames_total{interface="uplink0",direction="sent",kind="stp"}' 3 "$WORK/m"
expect_value 'virtnet_bpdu_instance_frames_total{interface="tapinst1"}' 3 "$WORK/m"
# The uplink's far end receives them too, but it is no instance's interface.
expect_value 'virtnet_bpdu_instance_frames_total{interface="switch0"}' absent "$WORK/m"
check_metrics "$WORK/m"
GOLDEN="$SRC_DIR/tests/golden/bpdu_tap.metrics"
grep -E '^virtnet_bpdu_' "$WORK/m" | sed -E 's/ [^ ]+$/ <value>/' | LC_ALL=C sort >"$WORK/bpdu.normalized"
if [[ "${1:-}" == "--update" ]]; then
  cp "$WORK/bpdu.normalized" "$GOLDEN"
  echo "updated $GOLDEN"
fi
diff -u "$GOLDEN" "$WORK/bpdu.normalized" || fail "BPDU series differ from $GOLDEN (--update if intended)"
echo "scrape: 3 BPDUs received on the tap, 3 sent out of the uplink, the tap named as an instance's"

rc=0
ip netns exec "$N" "$EXPORTER" diagnose --watch 4s --output json "${ARGS[@]}" >"$WORK/diag.json" \
  2>"$WORK/diag.err" &
DIAG=$!
PIDS+=("$DIAG")
sleep 1
send 5
wait "$DIAG" || rc=$?
[[ $rc -eq 1 ]] || fail "diagnose while an instance sends BPDUs: exit $rc ($(cat "$WORK/diag.err" "$WORK/diag.json"))"
/usr/bin/python3 - "$WORK/diag.json" <<'PY' || fail "diagnose JSON: $(cat "$WORK/diag.json")"
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
assert f and f[0]["alert"] == "VirtnetBpduFromInstance", f
assert f[0]["culprit"] == {"interface": "tapinst1"}, f[0]
assert f[0]["severity"] == "critical", f[0]
PY
echo "diagnose: nothing before (exit 0); VirtnetBpduFromInstance on tapinst1 while it sends (exit 1)"
