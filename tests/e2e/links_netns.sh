#!/usr/bin/env bash
# The links collector over real devices in namespaces of the test's own: a 9000-MTU tap on a
# 1500 bridge, a VXLAN whose underlay MTU was lowered under it, a named namespace walked by name,
# taps added and deleted while scraping (every scrape succeeds, gone links lose their series).
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root to create network namespaces"
A=vt-links-a-$$
B=vt-links-b-$$
ip netns add "$A" || skip "cannot create a network namespace here"
CLEANUPS+=("ip netns del $A")
ip netns add "$B"
CLEANUPS+=("ip netns del $B 2>/dev/null")
in_a() { ip -n "$A" "$@"; }
in_a link set lo up
in_a link add veth0 type veth peer name veth1
in_a link add br0 type bridge
in_a link set br0 mtu 1500
in_a link set veth1 master br0
in_a tuntap add tapj mode tap
in_a link set tapj mtu 9000
in_a link set tapj master br0
in_a link add vx0 type vxlan id 42 dev veth0 dstport 4789
in_a link set vx0 mtu 1450
in_a link add brq type bridge
in_a link set vx0 master brq
in_a tuntap add tapv mode tap
in_a link set tapv mtu 1450
in_a link set tapv master brq
in_a link set veth0 mtu 1400 # the underlay lowered under the VXLAN
for l in veth0 veth1 br0 tapj vx0 brq tapv; do in_a link set "$l" up; done
ip -n "$B" link add br-b type bridge

NETNS=$A start_exporter "$EXPORTER" --collector.disable-defaults --collector.links \
  --collector.links.netns
NETNS=$A scrape >"$WORK/m"
val() { value "$1" "$WORK/m"; }
expect_value 'virtnet_scrape_collector_success{collector="links"}' 1 "$WORK/m"
expect_value 'virtnet_link_mtu_headroom_bytes{netns="",link="tapj"}' -7500 "$WORK/m"
expect_value 'virtnet_link_mtu_mismatch_bytes{netns="",link="tapj",other="br0",relation="bridge_port"}' \
  7500 "$WORK/m"
expect_value 'virtnet_link_mtu_headroom_bytes{netns="",link="vx0"}' -100 "$WORK/m"
expect_value 'virtnet_link_encapsulation_overhead_bytes{netns="",link="vx0"}' 50 "$WORK/m"
expect_value 'virtnet_link_mtu_headroom_bytes{netns="",link="tapv"}' -100 "$WORK/m"
grep -q '^virtnet_link_info{netns="",link="tapj",kind="tun",.*master="br0",egress="veth1",path="tapj>veth1"} 1' \
  "$WORK/m" || fail "tapj's info: $(grep 'link_info{netns="",link="tapj"' "$WORK/m")"
grep -q '^virtnet_link_info{netns="",link="vx0",kind="vxlan",.*egress="veth0",path="vx0>veth0",vni="42"} 1' \
  "$WORK/m" || fail "vx0's info: $(grep 'link_info{netns="",link="vx0"' "$WORK/m")"
grep -q "^virtnet_link_info{netns=\"$B\",link=\"br-b\",kind=\"bridge\"" "$WORK/m" ||
  fail "the named namespace $B was not walked"
# Golden: the namespace's own links as built above, counters (traffic of the moment) normalised.
GOLDEN="$SRC_DIR/tests/golden/links_netns.metrics"
grep -E '^virtnet_link_[a-z_]+\{netns="",' "$WORK/m" |
  sed -E -e 's/^(virtnet_link_[a-z]+_(bytes|packets|errors|drops)_total\{[^}]*\}) .*/\1 <counter>/' \
    -e 's/operstate="[a-z]+"/operstate="<state>"/' \
    -e 's/^(virtnet_link_carrier\{[^}]*\}) .*/\1 <carrier>/' >"$WORK/links.normalized"
if [[ "${1:-}" == "--update" ]]; then
  cp "$WORK/links.normalized" "$GOLDEN"
  echo "updated $GOLDEN"
fi
diff -u "$GOLDEN" "$WORK/links.normalized" || fail "links output differs from $GOLDEN (--update if intended)"
per_link=$(grep -c '{netns="",link="tapj"}' "$WORK/m")
echo "headroom: tapj -7500 (mismatch +7500), vx0 -100 over a 1400 underlay, tapv -100;" \
  "$per_link series for tapj plus its info; $B walked"
[[ $per_link -le 13 ]] || fail "$per_link series per link (at most 14 with the info)"

# Taps come and go while scraping: every scrape succeeds; a deleted tap's series are gone.
for i in $(seq 20); do
  in_a tuntap add "churn$i" mode tap
  [[ $i -gt 1 ]] && in_a link del "churn$((i - 1))"
  NETNS=$A scrape >"$WORK/c" || fail "scrape $i failed"
  expect_value 'virtnet_scrape_collector_success{collector="links"}' 1 "$WORK/c"
done
grep -q 'link="churn19"' "$WORK/c" && fail "churn19, deleted, still exported"
grep -q 'link="churn20"' "$WORK/c" || fail "churn20 missing"
# diagnose, the operator's one-shot: here the negative headroom, worst first, with the link.
rc=0
ip netns exec "$A" "$EXPORTER" diagnose --watch 0 --collector.disable-defaults --collector.links \
  --output json >"$WORK/diag.json" 2>"$WORK/diag.err" || rc=$?
[[ $rc -eq 1 ]] || fail "diagnose on negative headroom: exit $rc, want 1 ($(cat "$WORK/diag.err"))"
/usr/bin/python3 - "$WORK/diag.json" <<'PY' || fail "diagnose JSON: $(cat "$WORK/diag.json")"
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
neg = [x["culprit"]["link"] for x in f if x["alert"] == "VirtnetLinkMtuHeadroomNegative"]
assert sorted(neg) == ["brq", "tapj", "tapv", "vx0"], neg
# Worst first: the 9000-MTU tap, 7500 bytes short, before the 100-byte VXLAN chain.
assert f[0]["culprit"]["link"] == "tapj" and f[0]["value"] == -7500, f[0]
assert f[0]["severity"] == "critical" and "ip -d link show tapj" in f[0]["next_check"], f[0]
PY
rc=0
ip netns exec "$A" "$EXPORTER" diagnose --watch 0 --collector.disable-defaults --collector.links \
  >"$WORK/diag.txt" 2>&1 || rc=$?
grep -q '^1\. \[critical\] VirtnetLinkMtuHeadroomNegative  netns="" link="tapj"$' "$WORK/diag.txt" ||
  fail "diagnose text: $(cat "$WORK/diag.txt")"
# A clean namespace, every default collector, watching 1 s: nothing found, exit 0.
rc=0
ip netns exec "$B" "$EXPORTER" diagnose --watch 1s >"$WORK/clean.txt" 2>"$WORK/clean.err" || rc=$?
[[ $rc -eq 0 ]] || fail "diagnose in a clean namespace: exit $rc: $(cat "$WORK/clean.txt" "$WORK/clean.err")"
grep -q 'nothing found (6 collectors' "$WORK/clean.txt" || fail "clean: $(cat "$WORK/clean.txt")"
echo "diagnose: negative headroom found (exit 1, tapj first, then brq/tapv/vx0); a clean namespace exit 0"

# The named namespace goes away between scrapes: skipped, not an error.
ip netns del "$B"
NETNS=$A scrape >"$WORK/d"
expect_value 'virtnet_scrape_collector_success{collector="links"}' 1 "$WORK/d"
grep -q "netns=\"$B\"" "$WORK/d" && fail "$B still exported after it was deleted"
check_metrics "$WORK/m"
echo "links_netns: 20 scrapes under tap churn succeeded; a deleted namespace is skipped; promtool clean"
