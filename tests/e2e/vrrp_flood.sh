#!/usr/bin/env bash
# A flood of VRRP advertisements beside a real keepalived pair (issue 17's attack), in
# namespaces of the test's own: once the master is established, well-formed advertisements from
# 10,000 spoofed (source, VRID) pairs at up to 175,000 a second for 15 s over the same veth, to a
# foreign unicast address (the capture sees them; keepalived's IP stack drops them).
# - The exporter's CPU over the flood, from /proc: the capture thread within its budget (10 % of
#   a core by default), the process within it and the scrapes.
# - The real master is never evicted: each of its advertisements during the flood is counted,
#   each gap between them in the histogram, none judged late, master-down or unjudged (its
#   frames come through the priority capture, which the flood cannot fill).
# - The flood is counted: newcomers not admitted, evictions of the sources table, frames the
#   kernel dropped while the capture was held at its budget.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_keepalived.sh"
FLOOD="$BUILD_DIR/tests/vrrp_flood"
[[ -x $FLOOD ]] || fail "no $FLOOD (built with the tests)"
keepalived_pair

NETNS=$M start_exporter "$EXPORTER" --collector.disable-defaults --collector.vrrp
S='{netns="",interface="vrm",vlan="0",vrid="51",family="ipv4",address="10.99.0.100",source="10.99.0.1"}'
series() { value "$1" "$WORK/$2"; }
# Established after 3 advertisements on time in a row, then moved to the priority capture at the
# next second's look.
for _ in $(seq 100); do
  NETNS=$M scrape >"$WORK/before"
  [[ $(series virtnet_vrrp_priority_sources before) == 1 ]] && break
  sleep 0.2
done
expect_value virtnet_vrrp_priority_sources 1 "$WORK/before"
# The baseline once the master's advertisements come through the priority capture (its first
# gap there spans the general capture's losses, if the flood had begun: not judged).
sleep 2.2
NETNS=$M scrape >"$WORK/before"
expect_value 'virtnet_background_established_entries{collector="vrrp",table="sources"}' 1 "$WORK/before"

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
capture_tid() {
  local t
  for t in /proc/"$EXPORTER_PID"/task/*; do
    [[ $(cat "$t/comm") == vt-vrrp ]] && basename "$t" && return 0
  done
  fail "no vt-vrrp thread in the exporter"
}
TID=$(capture_tid)
HZ=$(getconf CLK_TCK)
p0=$(ticks "$EXPORTER_PID")
t0=$(awk '{ print $14 + $15 }' "/proc/$EXPORTER_PID/task/$TID/stat")
w0=$(date +%s.%N)
ip netns exec "$B" "$FLOOD" vrb 10000 175000 15 >"$WORK/flood.txt" &
FLOOD_PID=$!
PIDS+=("$FLOOD_PID")
# Scrapes during the flood: the master's series are there in each.
for i in 1 2 3 4; do
  sleep 3
  NETNS=$M scrape >"$WORK/during$i"
  [[ $(series "virtnet_vrrp_advertisements_total$S" "during$i") != absent ]] ||
    fail "the master's series are gone during the flood (scrape $i)"
done
wait "$FLOOD_PID" || fail "the flood sender failed: $(cat "$WORK/flood.txt")"
w1=$(date +%s.%N)
p1=$(ticks "$EXPORTER_PID")
t1=$(awk '{ print $14 + $15 }' "/proc/$EXPORTER_PID/task/$TID/stat")
sleep 1.5
NETNS=$M scrape >"$WORK/after"
check_metrics "$WORK/after"

read -r thread_core process_core < <(awk -v p="$((p1 - p0))" -v t="$((t1 - t0))" -v hz="$HZ" \
  -v w0="$w0" -v w1="$w1" 'BEGIN { s = w1 - w0; printf "%.3f %.3f\n", t / hz / s, p / hz / s }')
sent=$(awk '{ print $2 }' "$WORK/flood.txt")
echo "flood: $(cat "$WORK/flood.txt"); the capture thread took $thread_core of a core, the" \
  "exporter $process_core"
[[ $sent -ge 500000 ]] || fail "the flood sent only $sent frames: too few to test a bound"
awk -v c="$thread_core" 'BEGIN { exit !(c <= 0.11) }' ||
  fail "the capture thread took $thread_core of a core over the flood, over its 10 % budget"
awk -v c="$process_core" 'BEGIN { exit !(c <= 0.15) }' ||
  fail "the exporter took $process_core of a core over the flood"

delta() { awk -v a="$(series "$1" before)" -v b="$(series "$1" after)" 'BEGIN { print b - a }'; }
adverts=$(delta "virtnet_vrrp_advertisements_total$S")
gaps=$(delta "virtnet_vrrp_advertisement_gap_seconds_count$S")
secs=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%d", b - a }')
[[ $adverts -ge $((secs - 1)) ]] ||
  fail "the master's advertisements during ${secs} s of flood: $adverts counted"
[[ $gaps == "$adverts" ]] || fail "the master's gaps: $gaps in the histogram for $adverts advertisements"
on_time=$(awk -v a="$(series "virtnet_vrrp_advertisement_gap_seconds_bucket${S%\}},le=\"1.5\"}" after)" \
  -v b="$(series "virtnet_vrrp_advertisement_gap_seconds_bucket${S%\}},le=\"0.75\"}" after)" \
  -v c="$(series "virtnet_vrrp_advertisement_gap_seconds_count$S" after)" 'BEGIN { print (a - b) == c }')
[[ $on_time == 1 ]] || fail "the master's gaps are not all 0.75 to 1.5 s: $(grep "gap_seconds_bucket$S" "$WORK/after")"
for m in late_advertisements_total master_down_gaps_total unjudged_gaps_total; do
  expect_value "virtnet_vrrp_$m$S" 0 "$WORK/after"
done
expect_value 'virtnet_vrrp_masters{netns="",interface="vrm",vlan="0",vrid="51",family="ipv4",address="10.99.0.100"}' 1 "$WORK/after"

not_admitted=$(series virtnet_vrrp_sources_not_admitted_total after)
evicted=$(series 'virtnet_background_evictions_total{collector="vrrp",table="sources"}' after)
budget=$(series 'virtnet_vrrp_packets_dropped_total{reason="cpu_budget"}' after)
held=$(series virtnet_vrrp_capture_held_seconds_total after)
entries=$(series 'virtnet_background_entries{collector="vrrp",table="sources"}' after)
awk -v n="$not_admitted" -v e="$evicted" -v d="$budget" -v h="$held" -v s="$entries" \
  'BEGIN { exit !(n > 10000 && e > 100 && d > 0 && h > 1 && s <= 256) }' ||
  fail "the flood's count: not admitted $not_admitted, evicted $evicted, dropped at the budget $budget, held $held s, entries $entries"
echo "the master: $adverts advertisements and $gaps gaps (all on time) counted in ${secs} s of" \
  "flood, none late, master-down or unjudged; the flood: $not_admitted not admitted, $evicted" \
  "evicted, $budget dropped at the budget, the capture held $held s, $entries sources"
