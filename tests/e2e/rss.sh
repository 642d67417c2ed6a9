#!/usr/bin/env bash
# The exporter's resident memory after 100 scrapes with its default collectors, and the sockstat
# collector's duration. Memory is bounded twice: all of it at most 11 MiB (the Foundation's 10 MiB,
# plus the 280 KB of code and the XML parser the libvirt and console collectors brought: the
# binary's text is resident in full, clean and shared page cache), and the process's own
# (anonymous) memory at most 2.5 MiB, which no code size excuses. The duration is printed, not
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
anon_kib=$(awk '/^RssAnon:/ { print $2 }' "/proc/$EXPORTER_PID/status")
mean_ms=$(awk -v t="$total" 'BEGIN { printf "%.3f", t / 100 * 1000 }')
echo "rss after 100 scrapes: ${rss_kib} KiB (${anon_kib} KiB anonymous); sockstat collector mean" \
  "duration: ${mean_ms} ms"
[[ $rss_kib -le 11264 ]] || fail "RSS ${rss_kib} KiB exceeds 11 MiB"
[[ $anon_kib -le 2560 ]] || fail "anonymous RSS ${anon_kib} KiB exceeds 2.5 MiB"
