#!/usr/bin/env bash
# Connections and requests from anyone who reaches the port: idle and slow connections cannot
# stop the scrapes, the surplus over the caps is refused at once, the query is decoded as
# Prometheus encodes it, and every path and method follows one rule.
source "$(dirname "$0")/lib.sh"

# hold N MODE SECONDS: N connections to the exporter that send nothing (idle) or a header line a
# second and never finish the request (slow). Waits until they are connected.
hold() {
  rm -f "$WORK/held"
  /usr/bin/python3 - "$PORT" "$1" "$2" "$3" "$WORK/held" <<'PY' &
import socket, sys, time
port, n, mode, secs, flag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5]
socks = []
for _ in range(n):
    try:
        socks.append(socket.create_connection(("127.0.0.1", port), timeout=2))
    except OSError:
        pass
open(flag, "w").write(str(len(socks)))
end = time.time() + secs
if mode == "slow":
    for s in socks:
        try: s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        except OSError: pass
while time.time() < end:
    time.sleep(1)
    if mode == "slow":
        for s in socks:
            try: s.send(b"X-Slow: 1\r\n")
            except OSError: pass
PY
  HOLDER=$!
  PIDS+=("$HOLDER")
  local i
  for i in $(seq 50); do [[ -s "$WORK/held" ]] && return 0; sleep 0.1; done
  fail "holder did not connect"
}

# Waits until the server has seen the held connections close (the per-IP cap counts them).
released() {
  local i
  for i in $(seq 50); do
    scrape >"$WORK/c" && [[ $(value virtnet_http_connections "$WORK/c") -le 1 ]] && return 0
    sleep 0.1
  done
  fail "the server still counts $(value virtnet_http_connections "$WORK/c") connections"
}

# timed URL: prints "CODE SECONDS"; a refused or timed-out request gives code 000.
timed() { curl -s -m 5 -o "$WORK/body" -w '%{http_code} %{time_total}' "http://127.0.0.1:$PORT$1" || true; }

expect_fast_200() {  # expect_fast_200 WHAT URL
  local r code t
  r=$(timed "$2")
  read -r code t <<<"$r"
  [[ $code == 200 ]] || fail "$1: $2 answered $code"
  awk -v t="$t" 'BEGIN { exit !(t < 1.0) }' || fail "$1: $2 took $t s"
  echo "$1: $2 200 in $t s"
}

start_exporter "$EXPORTER"
for mode in idle slow; do
  hold 50 $mode 8
  [[ $(cat "$WORK/held") -eq 50 ]] || fail "only $(cat "$WORK/held") of 50 $mode connections made"
  sleep 1.5  # the slow ones have sent headers for a while now
  for i in 1 2 3; do
    expect_fast_200 "50 $mode connections held" /metrics
    expect_fast_200 "50 $mode connections held" /-/healthy
  done
  kill "$HOLDER"
  wait "$HOLDER" 2>/dev/null || true
  released
done

# 50 scrapes at once are all answered (they wait in line for the scrape pool, not for a thread
# per connection).
for i in $(seq 50); do
  curl -s -m 10 -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$PORT/metrics" >>"$WORK/parallel" &
done
wait_for_lines() { [[ $(wc -l <"$WORK/parallel") -ge 50 ]]; }
for i in $(seq 100); do wait_for_lines && break; sleep 0.1; done
ok=$(grep -c '^200$' "$WORK/parallel" || true)
[[ $ok -eq 50 ]] || fail "50 parallel scrapes: $ok answered 200"
echo "50 parallel scrapes: 50 answered 200"

# Requests: the encoded collect[] as Prometheus sends it, an empty one, paths, methods.
scrape '/metrics?collect%5B%5D=process' >"$WORK/m"
grep -q '^virtnet_scrape_collector_success{collector="process"} 1' "$WORK/m" || fail "process not scraped"
! grep -q 'collector="sockstat"' "$WORK/m" || fail "collect%5B%5D=process still ran sockstat"
code() { curl -s -o /dev/null -w '%{http_code}' -X "$1" "http://127.0.0.1:$PORT$2"; }
[[ $(code GET '/metrics?collect[]=') == 400 ]] || fail "empty collect[] not a 400"
[[ $(code GET '/metrics?collect[]=%zz') == 400 ]] || fail "malformed escape not a 400"
for p in /METRICS /metrics/ /metrics%00 //metrics /nope; do
  [[ $(code GET "$p") == 404 ]] || fail "GET $p: $(code GET "$p"), want 404"
done
for m in POST OPTIONS PUT DELETE PATCH; do
  [[ $(code $m /metrics) == 405 ]] || fail "$m /metrics: $(code $m /metrics), want 405"
  [[ $(code $m /-/healthy) == 405 ]] || fail "$m /-/healthy: want 405"
  [[ $(code $m /nope) == 404 ]] || fail "$m /nope: $(code $m /nope), want 404"
done
[[ $(code HEAD /metrics) == 200 ]] || fail "HEAD /metrics"
# Keep-alive: Prometheus keeps one connection to a target between scrapes.
curl -sv "http://127.0.0.1:$PORT/-/healthy" "http://127.0.0.1:$PORT/metrics" \
  "http://127.0.0.1:$PORT/metrics" -o /dev/null -o /dev/null -o /dev/null 2>"$WORK/keepalive"
[[ $(grep -c 'Re-using existing connection' "$WORK/keepalive") -eq 2 ]] ||
  fail "the connection was not kept alive: $(grep -iE 'connection|HTTP/1' "$WORK/keepalive")"
# gzip when asked, as Prometheus always asks; plain otherwise; the same exposition either way.
curl -s -D "$WORK/gz.h" -H 'Accept-Encoding: gzip' -o "$WORK/gz" "http://127.0.0.1:$PORT/metrics"
grep -qi '^Content-Encoding: gzip' "$WORK/gz.h" || fail "no gzip: $(cat "$WORK/gz.h")"
grep -qi '^Vary: Accept-Encoding' "$WORK/gz.h" || fail "no Vary header"
gzip -dc <"$WORK/gz" >"$WORK/gz.txt" || fail "not a gzip stream"
check_metrics "$WORK/gz.txt"
curl -s -D "$WORK/plain.h" -o "$WORK/plain" "http://127.0.0.1:$PORT/metrics"
! grep -qi '^Content-Encoding' "$WORK/plain.h" || fail "gzip sent unasked"
[[ $(grep -c '^virtnet_' "$WORK/gz.txt") -eq $(grep -c '^virtnet_' "$WORK/plain") ]] ||
  fail "gzip and plain scrapes differ in samples"
gz_ratio=$(awk -v z="$(stat -c %s "$WORK/gz")" -v p="$(stat -c %s "$WORK/plain")" 'BEGIN { printf "%.2f", z / p }')
echo "gzip: $(stat -c %s "$WORK/gz") bytes for $(stat -c %s "$WORK/plain") plain ($gz_ratio)"
echo "requests: collect%5B%5D decoded, empty collect[] 400, paths 404, methods 405, keep-alive"

# The caps: the surplus is closed on arrival, not left to wait for a free slot.
kill -KILL "$EXPORTER_PID"
start_exporter "$EXPORTER" --web.max-connections=40 --web.max-connections-per-ip=0 \
  --web.idle-timeout=3s
hold 40 idle 20
r=$(timed /metrics)
read -r code t <<<"$r"
[[ $code == 000 ]] || fail "over --web.max-connections: answered $code"
awk -v t="$t" 'BEGIN { exit !(t < 1.0) }' || fail "over the cap: refused only after $t s"
echo "40 held with --web.max-connections=40: the 41st refused in $t s"
# --web.idle-timeout closes the silent ones; then scrapes go through again.
sleep 4
expect_fast_200 "after the idle timeout" /metrics
refused=$(value virtnet_http_connections_refused_total "$WORK/body")
[[ $refused != absent && $refused -ge 1 ]] || fail "refusals not counted: $refused"
kill "$HOLDER"
kill -KILL "$EXPORTER_PID"
start_exporter "$EXPORTER" --web.max-connections-per-ip=10
hold 10 idle 20
r=$(timed /metrics)
read -r code t <<<"$r"
[[ $code == 000 ]] || fail "over --web.max-connections-per-ip: answered $code"
echo "10 held with --web.max-connections-per-ip=10: the 11th refused in $t s"
echo "http_hostile: scrapes answered under held connections; caps refuse at once"
