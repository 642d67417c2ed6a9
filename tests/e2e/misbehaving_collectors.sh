#!/usr/bin/env bash
# A failing, a throwing and a slow collector (test binary only): the scrape still answers 200
# within the scraper's timeout, with the others' metrics and success 0 for the culprits.
source "$(dirname "$0")/lib.sh"
start_exporter "$TESTBIN" --collector.test_fail --collector.test_throw --collector.test_slow \
  --collector.test_slow.sleep-ms=20000 --scrape.timeout=1s

# With Prometheus' header: a 2 s timeout leaves a 1.8 s budget.
code=$(curl -s -o "$WORK/m1" -w '%{http_code} %{time_total}' \
  -H 'X-Prometheus-Scrape-Timeout-Seconds: 2' "http://127.0.0.1:$PORT/metrics")
read -r status took <<<"$code"
[[ $status == 200 ]] || fail "status $status"
awk -v t="$took" 'BEGIN { exit !(t >= 1.7 && t < 2.0) }' || fail "scrape took $took s, want 1.8 s budget"
expect_value 'virtnet_scrape_collector_success{collector="sockstat"}' 1 "$WORK/m1"
expect_value 'virtnet_scrape_collector_success{collector="test_fail"}' 0 "$WORK/m1"
expect_value 'virtnet_scrape_collector_success{collector="test_throw"}' 0 "$WORK/m1"
expect_value 'virtnet_scrape_collector_success{collector="test_slow"}' 0 "$WORK/m1"
grep -q '^virtnet_sockstat_sockets_used ' "$WORK/m1" || fail "sockstat metrics missing"
grep -q '^virtnet_test_slow_done' "$WORK/m1" && fail "late result served"

# Without the header, --scrape.timeout (1 s) bounds it; the slow one is still busy, so it is
# reported failed at once and the scrape is fast.
code=$(curl -s -o "$WORK/m2" -w '%{http_code} %{time_total}' "http://127.0.0.1:$PORT/metrics")
read -r status took <<<"$code"
[[ $status == 200 ]] || fail "status $status"
awk -v t="$took" 'BEGIN { exit !(t < 0.5) }' || fail "second scrape took $took s"
expect_value 'virtnet_scrape_collector_success{collector="test_slow"}' 0 "$WORK/m2"
# The slow one is logged once, when it first misses its deadline; still running at the next
# scrape changes only its lateness (the landing page shows it), not its own error: no new line.
grep -q 'collector=test_slow err="" late="did not finish within the deadline"' \
  "$WORK/exporter.log" || fail "no log line for the late collector"
n=$(grep -c 'msg="collector failed" collector=test_slow' "$WORK/exporter.log")
[[ $n -eq 1 ]] || fail "test_slow logged $n times over 2 scrapes, want once"
grep -q 'collector=test_throw err="deliberate failure"' "$WORK/exporter.log" ||
  fail "no log line for the throwing collector"

# collect[] narrows the scrape; an unknown collector is a 400.
scrape '/metrics?collect[]=sockstat' >"$WORK/m3"
expect_value 'virtnet_scrape_collector_success{collector="test_fail"}' absent "$WORK/m3"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics?collect[]=nope")
[[ $code == 400 ]] || fail "collect[]=nope gave $code"
kill -0 "$EXPORTER_PID" || fail "exporter died"

# A failure is logged when it starts (or its reason changes), not at every scrape.
for i in 1 2 3 4 5; do scrape >/dev/null; done
n=$(grep -c 'msg="collector failed" collector=test_fail' "$WORK/exporter.log")
[[ $n -eq 1 ]] || fail "test_fail logged $n times over 7 scrapes, want once"

# SIGTERM while test_slow is inside a 20 s call: every collector is told to stop, the stuck one
# is waited for 2 s and left; the exporter exits 0.
start=$(date +%s%N)
kill -TERM "$EXPORTER_PID"
rc=0
wait "$EXPORTER_PID" || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
[[ $rc -eq 0 ]] || fail "exit code $rc after SIGTERM"
[[ $ms -lt 3500 ]] || fail "SIGTERM took $ms ms with a stuck collector"
grep -q 'did not stop in time; its thread is left to finish" collector=test_slow' \
  "$WORK/exporter.log" || fail "the stuck collector was not reported"
echo "misbehaving_collectors: scrape bounded at ${took}s, culprits flagged, logged once;" \
  "SIGTERM with a stuck collector: exit 0 in $ms ms"
