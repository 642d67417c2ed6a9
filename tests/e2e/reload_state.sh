#!/usr/bin/env bash
# Reloads keep state: SIGHUPs with an unchanged configuration while scraping continuously fail no
# scrape and no collector, leave the exporter's threads and fds as they were, and never make a
# group's CPU counter go down although its members keep exiting. A reload that changes one
# collector's options rebuilds that one only. HUPS=100 for the figures in a closing note.
source "$(dirname "$0")/lib.sh"
HUPS=${HUPS:-30}
CFG="$WORK/virtnet.yml"
cat >"$CFG" <<'YML'
collectors:
  sockstat: {enabled: true}
  process:
    groups:
      - {name: burners, comm: [virtnet-burn]}
YML
# Members that burn CPU for a moment and exit, one after another, for the whole test.
ln -s "$(command -v bash)" "$WORK/virtnet-burn"
(
  while :; do
    "$WORK/virtnet-burn" -c 'end=$((SECONDS + 1)); while [ $SECONDS -lt $end ]; do :; done'
  done
) &
PIDS+=($!)
start_exporter "$EXPORTER" --config.file="$CFG"
counts() {
  echo "$(ls "/proc/$EXPORTER_PID/task" | wc -l) threads, $(ls "/proc/$EXPORTER_PID/fd" | wc -l) fds"
}
# Counted with no scrape connection open.
scrape >/dev/null
sleep 0.5
before=$(counts)
CPU='virtnet_process_group_cpu_seconds_total{group="burners",mode="user"}'

# Scrapes in the background, each checked: HTTP 200, every collector successful, the counter
# never below the one before.
(
  last=0
  while :; do
    code=$(curl -s -o "$WORK/s" -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
    [[ $code == 200 ]] || { echo "scrape answered $code" >>"$WORK/bad"; continue; }
    grep -q '^virtnet_scrape_collector_success{collector="[a-z]*"} 0' "$WORK/s" &&
      grep '_success{' "$WORK/s" >>"$WORK/bad"
    now=$(value "$CPU" "$WORK/s")
    if [[ $now != absent ]]; then
      awk -v a="$last" -v b="$now" 'BEGIN { exit !(b + 0 < a + 0) }' &&
        echo "counter went down: $last -> $now" >>"$WORK/bad"
      last=$now
    fi
    echo . >>"$WORK/scrapes"
  done
) &
SCRAPER=$!
PIDS+=("$SCRAPER")
sleep 2
for i in $(seq "$HUPS"); do
  kill -HUP "$EXPORTER_PID"
  sleep 0.2
done
kill "$SCRAPER"
wait "$SCRAPER" 2>/dev/null || true
sleep 0.5
after=$(counts)
n=$(wc -l <"$WORK/scrapes")
[[ ! -s "$WORK/bad" ]] || fail "during $HUPS reloads: $(sort -u "$WORK/bad" | head -5)"
reloads=$(grep -c 'msg="configuration reloaded"' "$WORK/exporter.log")
[[ $reloads -eq $HUPS ]] || fail "$reloads reloads logged, want $HUPS"
! grep 'msg="configuration reloaded"' "$WORK/exporter.log" | grep -v 'rebuilt=""' | grep -q . ||
  fail "an unchanged reload rebuilt a collector: $(grep -v 'rebuilt=""' "$WORK/exporter.log" | grep reloaded | head -1)"
[[ "$before" == "$after" ]] || fail "before the reloads $before, after $after"
echo "$HUPS reloads under $n scrapes: none failed, counter never down; $before before and after"

# One collector's options change: that one is rebuilt, the process collector keeps its counters.
scrape >"$WORK/m1"
c1=$(value "$CPU" "$WORK/m1")
sed -i 's/  sockstat: {enabled: true}/  sockstat: {enabled: true, tcp_peers: true}/' "$CFG"
kill -HUP "$EXPORTER_PID"
for i in $(seq 50); do
  [[ $(grep -c 'msg="configuration reloaded"' "$WORK/exporter.log") -gt $HUPS ]] && break
  sleep 0.1
done
grep 'msg="configuration reloaded"' "$WORK/exporter.log" | tail -1 | grep -q 'rebuilt=sockstat$' ||
  fail "want sockstat alone rebuilt: $(grep reloaded "$WORK/exporter.log" | tail -1)"
scrape >"$WORK/m2"
c2=$(value "$CPU" "$WORK/m2")
awk -v a="$c1" -v b="$c2" 'BEGIN { exit !(b + 0 >= a + 0 && a + 0 > 0) }' ||
  fail "the process counter restarted: $c1 -> $c2"
echo "reload_state: sockstat rebuilt alone; burners user CPU $c1 -> $c2 s"
