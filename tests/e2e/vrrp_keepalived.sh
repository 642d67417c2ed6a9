#!/usr/bin/env bash
# VRRP capture against real keepalived (Debian's), two routers in namespaces of the test's own
# joined by a veth: the master (priority 150) and a backup (100), VRRPv2 at 1 s with auth PASS.
# 1. Scrapes count the master's advertisements, no gap, one master, and never show the password.
#    Tagged frames (a VLAN tag in metadata, and QinQ) land on routers of their own VLAN.
# 2. The master's VRRP process paused 8 s (SIGSTOP, as a starved or stuck keepalived): a gap past
#    Master_Down_Interval, the failover and the return are counted, and `diagnose --watch` taken
#    across the pause names the master, the interface and the VRID (exit 1). After the master is
#    back, the stall's length is in the gap histogram and the longest gap, and agrees within 1 ms
#    with tcpdump -ttt's on the same interface.
# 2b. The same routers from the host's namespace, walking the named ones (as on a Neutron network
#     node): each namespace's interface by its own name; the host's own namespace sees none.
# 3. Without CAP_NET_RAW the collector reports success 0 naming it; the others go on.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_keepalived.sh"
command -v setpriv >/dev/null || fail "setpriv (util-linux) not installed"
command -v tcpdump >/dev/null || fail "tcpdump not installed (bash scripts/deps.sh --test)"
keepalived_pair

# 1. Steady state, seen from the master's namespace (as tcpdump on the master saw the incident).
NETNS=$M start_exporter "$EXPORTER" --collector.disable-defaults --collector.vrrp --log.level=debug
sleep 3.5
NETNS=$M scrape >"$WORK/m1"
S='{netns="",interface="vrm",vlan="0",vrid="51",family="ipv4",address="10.99.0.100",source="10.99.0.1"}'
R='{netns="",interface="vrm",vlan="0",vrid="51",family="ipv4",address="10.99.0.100"}'
expect_value 'virtnet_scrape_collector_success{collector="vrrp"}' 1 "$WORK/m1"
n=$(value "virtnet_vrrp_advertisements_total$S" "$WORK/m1")
[[ $n != absent && $n -ge 2 ]] || fail "master's advertisements over 3.5 s: $n"
expect_value "virtnet_vrrp_master_down_gaps_total$S" 0 "$WORK/m1"
expect_value "virtnet_vrrp_advertisement_interval_seconds$S" 1 "$WORK/m1"
expect_value "virtnet_vrrp_priority$S" 150 "$WORK/m1"
expect_value "virtnet_vrrp_masters$R" 1 "$WORK/m1"
grep -q "^virtnet_vrrp_router_info{netns=\"\",interface=\"vrm\",vlan=\"0\",vrid=\"51\",family=\"ipv4\",address=\"10.99.0.100\",source=\"10.99.0.1\",version=\"2\",auth_type=\"simple\"} 1" \
  "$WORK/m1" || fail "router_info: $(grep router_info "$WORK/m1")"
check_metrics "$WORK/m1"
echo "steady: $n advertisements from the master in 3.5 s, no gap, one master"

# Tagged frames from the backup's side (the keepalived fixture's bytes): VLAN 30 (the kernel
# strips the tag into metadata on receive) and QinQ 31 over 40 (the inner tag stays in the frame,
# through the filter's vlan clause). Each is a router of its own, not VLAN 0's.
ip netns exec "$B" /usr/bin/python3 - "$SRC_DIR/tests/fixtures/vrrp/v2_ipv4_vrid51.bin" <<'PY'
import socket, struct, sys, time
f = open(sys.argv[1], "rb").read()
single = f[:12] + struct.pack("!HH", 0x8100, 30) + f[12:]
qinq = f[:12] + struct.pack("!HHHH", 0x88a8, 31, 0x8100, 40) + f[12:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("vrb", 0))
for _ in range(3):
    s.send(single)
    s.send(qinq)
    time.sleep(0.4)  # more than a quarter interval apart: not copies
PY
sleep 0.5
NETNS=$M scrape >"$WORK/mv"
for v in 30 31.40; do
  expect_value "virtnet_vrrp_advertisements_total{netns=\"\",interface=\"vrm\",vlan=\"$v\",vrid=\"51\",family=\"ipv4\",address=\"10.99.0.100\",source=\"10.99.0.1\"}" \
    3 "$WORK/mv"
done
expect_value "virtnet_vrrp_masters$R" 1 "$WORK/mv"
echo "VLANs: 3 tagged advertisements each on VLAN 30 (tag in metadata) and 31.40 (QinQ), apart from VLAN 0"

# 2. The master paused across a diagnose watch; the running exporter sees it too, and so does
#    tcpdump beside it.
ip netns exec "$M" tcpdump -i vrm -nn -ttt -l 'src host 10.99.0.1 and ip proto 112' \
  >"$WORK/tcpdump.txt" 2>"$WORK/tcpdump.err" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for "tcpdump listening" grep -q 'listening on' "$WORK/tcpdump.err"
rc=0
ip netns exec "$M" "$EXPORTER" diagnose --watch 17s --output json --collector.disable-defaults \
  --collector.vrrp --log.level=debug >"$WORK/diag.json" 2>"$WORK/diag.err" &
DIAG=$!
PIDS+=("$DIAG")
sleep 3 # diagnose has heard the master (every second) before it falls silent
kill -STOP "$VRRP_PID"
sleep 8
kill -CONT "$VRRP_PID"
wait "$DIAG" || rc=$?
[[ $rc -eq 1 ]] || fail "diagnose across the pause: exit $rc, want 1 ($(cat "$WORK/diag.err" "$WORK/diag.json"))"
/usr/bin/python3 - "$WORK/diag.json" <<'PY' || fail "diagnose JSON: $(cat "$WORK/diag.json")"
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
assert f and f[0]["alert"] == "VirtnetVrrpMasterDownGap", f
assert f[0]["culprit"] == {"netns": "", "interface": "vrm", "vlan": "0", "vrid": "51", "address": "10.99.0.100", "source": "10.99.0.1"}, f[0]
assert f[0]["severity"] == "critical" and "run-queue" in f[0]["next_check"], f[0]
assert not [x for x in f if x["alert"] == "VirtnetVrrpSplitBrain"], f
PY
NETNS=$M scrape >"$WORK/m2"
expect_value "virtnet_vrrp_master_down_gaps_total$S" 1 "$WORK/m2"
gap=$(value "virtnet_vrrp_advertisements_total{netns=\"\",interface=\"vrm\",vlan=\"0\",vrid=\"51\",family=\"ipv4\",address=\"10.99.0.100\",source=\"10.99.0.2\"}" "$WORK/m2")
[[ $gap != absent && $gap -ge 1 ]] || fail "the backup never advertised during the pause: $gap"
changes=$(value "virtnet_vrrp_master_changes_total$R" "$WORK/m2")
[[ $changes -ge 2 ]] || fail "failover and return: $changes master changes, want >= 2"
# The stall's length, 6 s after the master is back: the longest gap, the gap histogram's bucket,
# and tcpdump's longest delta between the master's advertisements.
kill "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
/usr/bin/python3 - "$WORK/tcpdump.txt" "$WORK/m2" "$S" <<'PY' >"$WORK/stall.txt" || fail "stall: $(cat "$WORK/stall.txt")"
import re, sys
deltas = []
for line in open(sys.argv[1]):
    m = re.match(r"\s*(\d+):(\d+):(\d+\.\d+) ", line)
    if m:
        deltas.append(int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]))
assert len(deltas) >= 10, f"tcpdump saw {len(deltas)} advertisements"
tcpdump = max(deltas)
labels = sys.argv[3][1:-1]
series = {}
for line in open(sys.argv[2]):
    if line.startswith("#"):
        continue
    name, _, v = line.rpartition(" ")
    series[name] = float(v)
longest = series["virtnet_vrrp_longest_gap_seconds{" + labels + "}"]
def bucket(le):
    return series["virtnet_vrrp_advertisement_gap_seconds_bucket{" + labels + ',le="' + le + '"}']
bounds = ["0.25", "0.5", "0.75", "1", "1.5", "2", "3", "4", "6", "8", "12", "16", "30", "+Inf"]
print(f"tcpdump {tcpdump:.6f} s, exporter {longest:.6f} s")
assert 8 <= tcpdump < 10, "the stall per tcpdump"
assert abs(longest - tcpdump) < 0.001, "longest gap and tcpdump disagree by 1 ms or more"
le = next(b for b in bounds if b == "+Inf" or float(b) >= tcpdump)
i = bounds.index(le)
assert bucket(le) - bucket(bounds[i - 1]) == 1, f"no gap in the le={le} bucket"
assert bucket("+Inf") - bucket("4") == 1, "one gap over 4 s"
down = 'virtnet_vrrp_master_down_gap_seconds'
assert series[down + "_count{" + labels + "}"] == 1, "one master-down silence"
took = series[down + "_sum{" + labels + "}"]
assert 3 < took < 5, f"the backup took over after {took} s"
print(f"in the le={le} bucket; master-down silence until the takeover {took:.3f} s")
PY
# Golden: the series (names and labels; values vary with timing), for review and for the
# dashboard check in e2e_alerts.
GOLDEN="$SRC_DIR/tests/golden/vrrp_keepalived.metrics"
grep -E '^virtnet_vrrp_' "$WORK/m2" | sed -E 's/ [^ ]+$/ <value>/' | LC_ALL=C sort >"$WORK/vrrp.normalized"
if [[ "${1:-}" == "--update" ]]; then
  cp "$WORK/vrrp.normalized" "$GOLDEN"
  echo "updated $GOLDEN"
fi
diff -u "$GOLDEN" "$WORK/vrrp.normalized" || fail "VRRP series differ from $GOLDEN (--update if intended)"
for f in "$WORK/m1" "$WORK/m2" "$WORK/diag.json" "$WORK/diag.err" "$WORK/exporter.log"; do
  ! grep -q "$PASSWORD" "$f" || fail "the VRRP password appears in $f"
done
echo "pause: diagnose exit 1, VirtnetVrrpMasterDownGap on vrm VRID 51 source 10.99.0.1 first;" \
  "the scrape: 1 master-down gap, the backup advertised $gap times, $changes master changes;" \
  "the password nowhere; the stall: $(tr '\n' ' ' <"$WORK/stall.txt")"

# 2b. From the host's namespace, walking the named ones (as on a Neutron network node, where
#     keepalived runs in qrouter-* namespaces): each namespace's interface by its own name.
start_exporter "$EXPORTER" --collector.disable-defaults --collector.vrrp --collector.vrrp.netns
sleep 2.5
scrape >"$WORK/mh"
expect_value 'virtnet_scrape_collector_success{collector="vrrp"}' 1 "$WORK/mh"
for side in "$M vrm" "$B vrb"; do
  read -r ns ifc <<<"$side"
  n=$(value "virtnet_vrrp_advertisements_total{netns=\"$ns\",interface=\"$ifc\",vlan=\"0\",vrid=\"51\",family=\"ipv4\",address=\"10.99.0.100\",source=\"10.99.0.1\"}" "$WORK/mh")
  [[ $n != absent && $n -ge 1 ]] || fail "netns walk: no advertisements on $ifc in $ns: $(grep advertisements_total "$WORK/mh")"
done
c=$(value virtnet_vrrp_netns_captured "$WORK/mh")
[[ $c -ge 2 ]] || fail "netns walk: $c namespaces captured"
! grep -q 'netns=""' <(grep '^virtnet_vrrp_advertisements_total' "$WORK/mh") ||
  fail "the host's own namespace saw the routers' advertisements"
echo "netns walk: the master's advertisements in $M (vrm) and $B (vrb), $c namespaces captured"

# A namespace made after the start is found at a rescan (every 10 s); deleted and made again under
# the same name, it is captured anew: its old series go, and counting starts again. (Judged by
# X's own series, not by counts of namespaces, which other namespaces on the host change.)
X=vt-vrrp-x-$$
inject_in_x() {  # one keepalived advertisement from xa to xb inside X
  ip netns exec "$X" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("xa", 0))
s.send(open(sys.argv[1], "rb").read())' "$SRC_DIR/tests/fixtures/vrrp/v2_ipv4_vrid51.bin"
}
XS="virtnet_vrrp_advertisements_total{netns=\"$X\",interface=\"xb\",vlan=\"0\",vrid=\"51\",family=\"ipv4\",address=\"10.99.0.100\",source=\"10.99.0.1\"}"
make_x() {
  ip netns add "$X"
  ip -n "$X" link add xa type veth peer name xb
  ip -n "$X" link set xa up
  ip -n "$X" link set xb up
}
x_count() { value "$XS" "$WORK/mx"; }
wait_x() {  # wait_x WHAT present|absent [inject]: scrapes (injecting first) for 20 s at most
  local i
  for i in $(seq 40); do
    [[ ${3:-} == inject ]] && inject_in_x
    sleep 0.5 # also keeps injections apart by more than a quarter interval (not copies)
    scrape >"$WORK/mx"
    if [[ $2 == present && $(x_count) != absent ]] || [[ $2 == absent && $(x_count) == absent ]]; then
      return 0
    fi
  done
  fail "netns rescans: $1"
}
CLEANUPS+=("ip netns del $X 2>/dev/null")
make_x
wait_x "$X made after the start was never captured" present inject
for _ in 1 2 3; do inject_in_x; sleep 0.5; done
scrape >"$WORK/mx"
first=$(x_count)
[[ $first -ge 4 ]] || fail "netns rescans: $first advertisements counted in $X, want 4 or more"
# Deleted and made again at once, under the same name: within one rescan the old capture must go
# (its series forgotten) and a new one open in the new namespace.
ip netns del "$X"
make_x
wait_x "the re-made $X kept the old capture (its series stayed)" absent
wait_x "the re-made $X was never captured" present inject
again=$(x_count)
[[ $again -lt $first ]] || fail "netns rescans: the re-made $X counts on from $first ($again)"
echo "netns rescans: $X found when made ($first advertisements), captured anew when made again (from $again)"

# 3. Without CAP_NET_RAW (root, with it taken out of the bounding set).
kill -KILL "$EXPORTER_PID"
: >"$WORK/exporter.log"
NETNS=$M WRAP="setpriv --bounding-set=-net_raw" start_exporter "$EXPORTER" \
  --collector.disable-defaults --collector.vrrp --collector.sockstat
NETNS=$M scrape >"$WORK/m3"
expect_value 'virtnet_scrape_collector_success{collector="vrrp"}' 0 "$WORK/m3"
expect_value 'virtnet_scrape_collector_success{collector="sockstat"}' 1 "$WORK/m3"
grep 'msg="collector failed" collector=vrrp ' "$WORK/exporter.log" | grep -q 'missing CAP_NET_RAW (to capture' ||
  fail "no log line naming CAP_NET_RAW: $(cat "$WORK/exporter.log")"
echo "without CAP_NET_RAW: vrrp success 0 naming it, sockstat up"
