#!/usr/bin/env bash
# More instance taps than the detail table holds (issue 17): 300 taps in a namespace of the
# test's own, each "instance" writing one BPDU a round into its tap, 3 rounds 1 s apart.
# - With the defaults (256 (interface, direction, kind) of detail), every tap's
#   virtnet_bpdu_instance_frames_total counts all 3 (never evicted), while the detail table
#   evicts, and counts it; `diagnose` taken across the rounds names all 300 instances.
# - Past --collector.bpdu.max-instances (100 here), the other 200 taps' BPDUs are counted in
#   virtnet_bpdu_instance_frames_untracked_total, and the 100 counted one by one keep counting.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root to create network namespaces and taps"
N=vt-bpdu-many-$$
ip netns add "$N" || skip "cannot create a network namespace here"
CLEANUPS+=("ip netns del $N")
ip -n "$N" link set lo up
TAPS=300
ARGS=(--collector.disable-defaults --collector.bpdu)

NETNS=$N start_exporter "$EXPORTER" "${ARGS[@]}"
FULL_PORT=$PORT
NETNS=$N start_exporter "$EXPORTER" "${ARGS[@]}" --collector.bpdu.max-instances=100
CAPPED_PORT=$PORT
ip netns exec "$N" "$EXPORTER" diagnose --watch 6s --output json "${ARGS[@]}" >"$WORK/diag.json" \
  2>"$WORK/diag.err" &
DIAG=$!
PIDS+=("$DIAG")
sleep 0.5 # diagnose's capture is open
mkfifo "$WORK/hold"
ip netns exec "$N" /usr/bin/python3 "$SRC_DIR/tests/support/bpdu_send.py" --taps tapx "$TAPS" 3 1 \
  <"$WORK/hold" >"$WORK/sender.out" 2>&1 &
SENDER=$!
PIDS+=("$SENDER")
exec 3>"$WORK/hold" # the taps last until this closes
for _ in $(seq 100); do
  grep -q 'round 3' "$WORK/sender.out" && break
  kill -0 "$SENDER" 2>/dev/null || fail "the sender ended: $(cat "$WORK/sender.out")"
  sleep 0.1
done
grep -q 'round 3' "$WORK/sender.out" || fail "the sender did not finish its rounds: $(cat "$WORK/sender.out")"
sleep 0.3
PORT=$FULL_PORT NETNS=$N scrape >"$WORK/full"
PORT=$CAPPED_PORT NETNS=$N scrape >"$WORK/capped"
rc=0
wait "$DIAG" || rc=$?
exec 3>&-
check_metrics "$WORK/full"

count() { awk -v p="$1" 'index($0, p) == 1 && $2 == '"$2"' { n++ } END { print n + 0 }' "$3"; }
n=$(count 'virtnet_bpdu_instance_frames_total{interface="tapx' 3 "$WORK/full")
[[ $n == "$TAPS" ]] || fail "$n of $TAPS taps' instance counters read 3: $(grep -c '^virtnet_bpdu_instance_frames_total' "$WORK/full") series"
detail=$(value 'virtnet_background_entries{collector="bpdu",table="interfaces"}' "$WORK/full")
evicted=$(value 'virtnet_background_evictions_total{collector="bpdu",table="interfaces"}' "$WORK/full")
[[ $detail == 256 && $evicted -gt 0 ]] || fail "the detail table: $detail entries, $evicted evicted"
expect_value 'virtnet_background_entries{collector="bpdu",table="instances"}' "$TAPS" "$WORK/full"
expect_value 'virtnet_background_evictions_total{collector="bpdu",table="instances"}' 0 "$WORK/full"
expect_value virtnet_bpdu_instance_frames_untracked_total 0 "$WORK/full"
echo "defaults: all $TAPS instance counters read 3; the detail table holds $detail, evicted $evicted"

n=$(count 'virtnet_bpdu_instance_frames_total{interface="tapx' 3 "$WORK/capped")
[[ $n == 100 ]] || fail "max-instances 100: $n instance counters read 3"
expect_value virtnet_bpdu_instance_frames_untracked_total $(((TAPS - 100) * 3)) "$WORK/capped"
echo "max-instances 100: 100 counters read 3, the other $((TAPS - 100)) taps' $(((TAPS - 100) * 3)) BPDUs untracked"

[[ $rc -eq 1 ]] || fail "diagnose across the rounds: exit $rc ($(head -c 2000 "$WORK/diag.err"))"
/usr/bin/python3 - "$WORK/diag.json" "$TAPS" <<'PY' || fail "diagnose JSON: $(head -c 2000 "$WORK/diag.json")"
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
taps = {x["culprit"]["interface"] for x in f if x["alert"] == "VirtnetBpduFromInstance"}
assert taps == {f"tapx{i}" for i in range(int(sys.argv[2]))}, sorted(taps)[:10]
print(len(taps))
PY
echo "diagnose: VirtnetBpduFromInstance for each of the $TAPS taps (exit 1)"
