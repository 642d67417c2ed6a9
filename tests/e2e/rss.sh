#!/usr/bin/env bash
# The exporter's resident memory after 100 scrapes, and the sockstat collector's duration.
# Memory is a bound (at most 10 MiB, the Foundation target); the duration is printed, not
# asserted: timings belong to bench/.
source "$(dirname "$0")/lib.sh"
start_exporter "$EXPORTER"
total=0
for i in $(seq 100); do
  scrape >"$WORK/m"
  d=$(value 'virtnet_scrape_collector_duration_seconds{collector="sockstat"}' "$WORK/m")
  total=$(awk -v a="$total" -v b="$d" 'BEGIN { print a + b }')
done
rss_kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$EXPORTER_PID/status")
mean_ms=$(awk -v t="$total" 'BEGIN { printf "%.3f", t / 100 * 1000 }')
echo "rss after 100 scrapes: ${rss_kib} KiB; sockstat collector mean duration: ${mean_ms} ms"
[[ $rss_kib -le 10240 ]] || fail "RSS ${rss_kib} KiB exceeds 10 MiB"
