#!/usr/bin/env bash
# The process collector against real processes: a leaker stepped scrape by scrape, and processes
# exiting while they are read. (Another user's process seen without privileges:
# process_unprivileged.sh.)
source "$(dirname "$0")/lib.sh"
SHAPES="$BUILD_DIR/tests/proc_shapes"

# 1. A "keepalived" (per-process series and fd kinds by default) that leaks on command.
start_leaker
start_exporter "$EXPORTER" --no-collector.sockstat

read_all() {  # read_all FILE: the leaker's fds, sockets, mappings and mapped bytes
  scrape >"$1"
  fds=$(value "virtnet_process_open_fds{$L}" "$1")
  sockets=$(value "virtnet_process_open_fds_by_kind{$L,kind=\"socket\"}" "$1")
  maps=$(value "virtnet_process_mappings{$L}" "$1")
  mapped=$(value "virtnet_process_mapped_bytes{$L}" "$1")
}
step() {  # step FDS MAPS
  echo "step $1 $2" >&"${LEAK[1]}"
  read -r -t 10 ok <&"${LEAK[0]}" || fail "leaker did not answer"
}

read_all "$WORK/s0"
[[ $fds != absent && $maps != absent ]] || fail "no per-process series for the leaker"
f0=$fds s0=$sockets m0=$maps b0=$mapped
step 10 5
read_all "$WORK/s1"
[[ $fds -eq $((f0 + 10)) ]] || fail "fds $fds, want $((f0 + 10))"
[[ $sockets -eq $((s0 + 10)) ]] || fail "sockets $sockets, want $((s0 + 10))"
[[ $maps -eq $((m0 + 5)) ]] || fail "mappings $maps, want $((m0 + 5))"
awk -v a="$mapped" -v b="$b0" 'BEGIN { exit !(a - b == 5 * 65536) }' ||
  fail "mapped grew by $(awk -v a="$mapped" -v b="$b0" 'BEGIN { print a - b }'), want 327680"
step 25 0
read_all "$WORK/s2"
[[ $fds -eq $((f0 + 35)) ]] || fail "fds $fds, want $((f0 + 35))"
[[ $maps -eq $((m0 + 5)) ]] || fail "mappings changed without mapping: $maps"
expect_value 'virtnet_process_group_processes{group="keepalived"}' 1 "$WORK/s2"
echo "leaker followed: fds $f0 -> $fds, mappings $m0 -> $maps"

# 2. Processes that exit while the collector reads them: grouped ones (named keepalived) and
# others, started and ended in a loop during 20 scrapes. No scrape fails, nothing is counted.
(
  for i in $(seq 400); do
    "$SHAPES" fds 2 keepalived </dev/null >/dev/null
    /bin/true
  done
) &
CHURN=$!
PIDS+=("$CHURN")
for i in $(seq 20); do
  scrape >"$WORK/c"
  expect_value 'virtnet_scrape_collector_success{collector="process"}' 1 "$WORK/c"
done
kill "$CHURN" 2>/dev/null || true
expect_value 'virtnet_process_read_errors_total{reason="other"}' 0 "$WORK/c"
expect_value 'virtnet_process_read_errors_total{reason="permission"}' 0 "$WORK/c"
! grep -q 'level=error' "$WORK/exporter.log" || fail "errors logged during churn"
echo "churn: 20 scrapes while processes came and went, no error"
