#!/usr/bin/env bash
# A login flood cannot queue the legitimate scraper behind it, nor take more than one core: 200
# clients from four loopback addresses, and from the scraper's own, send wrong passwords and
# unknown users for 20 s (bounded in requests), while the scraper, whose login is known good,
# scrapes and asks /-/healthy. Their p99 latencies are bounded, the exporter's CPU over the flood
# stays under one core, and the refusals are counted: a full queue, and throttled addresses,
# answered 429 without a bcrypt. The scraper's requests start with the flood, while its guesses
# still cost bcrypts (until each address reaches its limit).
source "$(dirname "$0")/lib.sh"
command -v htpasswd >/dev/null || fail "htpasswd is not installed (apache2-utils, scripts/deps.sh --test)"
# cost 10: a bcrypt takes tens of milliseconds, as an operator's hash would.
HASH=$(htpasswd -nbBC 10 prometheus s3cret | cut -d: -f2)
printf "basic_auth_users:\n  prometheus: '%s'\n" "$HASH" >"$WORK/web.yml"
READY_CURL_ARGS="-u prometheus:s3cret" start_exporter "$EXPORTER" --web.config.file="$WORK/web.yml"

URL="http://127.0.0.1:$PORT"
ticks() { awk '{ print $14 + $15 }' "/proc/$EXPORTER_PID/stat"; }
hz=$(getconf CLK_TCK)

# p99 of N requests of the legitimate client (its login cached by the readiness probe), in ms.
# For /metrics, the time beyond the scrape's own (its slowest collector, which the scrape itself
# reports): what the request spent waiting, which a flood must not lengthen.
p99() {  # p99 N PATH
  local i took own
  for i in $(seq "$1"); do
    took=$(curl -s -o "$WORK/r" -w '%{time_total}' -u prometheus:s3cret "$URL$2")
    own=$(awk '/^virtnet_scrape_collector_duration_seconds/ { if ($2 > m) m = $2 } END { print m + 0 }' "$WORK/r")
    awk -v t="$took" -v o="$own" 'BEGIN { print (t - o) * 1000 }'
    sleep 0.05
  done | sort -n | awk '{ t[NR] = $1 } END { i = int(NR * 0.99 + 0.999); print t[i] }'
}
base=$(p99 60 /metrics)
echo "scrape p99 without a flood, beyond the scrape's own time: ${base} ms"

# The attackers run at the lowest priority: on this 2-core machine they stand for clients
# elsewhere, whose own CPU is not the exporter's to share.
nice -n 19 /usr/bin/python3 - "$PORT" >"$WORK/flood.out" 2>&1 <<'PY' &
import asyncio, base64, sys, time
port = int(sys.argv[1])
# The scraper's own address too: a login known good is served whatever its address does.
sources = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.1"]
deadline = time.monotonic() + 20
codes = {}
async def client(i):
    src = sources[i % len(sources)]
    for n in range(400):  # bounded: at most 80,000 requests in all
        if time.monotonic() > deadline:
            return
        who = b"prometheus:guess%d" % n if i % 2 else b"mallory%d:x" % i
        auth = base64.b64encode(who).decode()
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port, local_addr=(src, 0))
            w.write(f"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n"
                    "Connection: close\r\n\r\n".encode())
            await w.drain()
            line = await r.readline()
            code = line.split()[1].decode() if len(line.split()) > 1 else "?"
            await r.read()
            w.close()
        except Exception as e:
            code = type(e).__name__
        codes[code] = codes.get(code, 0) + 1
async def main():
    await asyncio.gather(*(client(i) for i in range(200)))
asyncio.run(main())
print(" ".join(f"{k}={v}" for k, v in sorted(codes.items())), flush=True)
PY
FLOOD=$!
PIDS+=($FLOOD)
sleep 0.3  # the flood under way, its first guesses being checked
t0=$(ticks)
start=$(date +%s%N)
scrape_p99=$(p99 100 /metrics)
healthy_p99=$(p99 100 /-/healthy)
t1=$(ticks)
secs=$(awk -v s="$start" -v e="$(date +%s%N)" 'BEGIN { print (e - s) / 1e9 }')
wait "$FLOOD" || true
cores=$(awk -v u="$((t1 - t0))" -v hz="$hz" -v s="$secs" 'BEGIN { printf "%.2f", u / hz / s }')
echo "during the flood ($(cat "$WORK/flood.out")): scrape p99 ${scrape_p99} ms beyond its own time," \
  "/-/healthy p99 ${healthy_p99} ms, exporter CPU ${cores} cores over ${secs} s"
awk -v p="$scrape_p99" -v b="$base" 'BEGIN { exit !(p < b + 50) }' ||
  fail "a cached scrape waited ${scrape_p99} ms at p99, over ${base} + 50 ms"
awk -v p="$healthy_p99" 'BEGIN { exit !(p < 50) }' || fail "/-/healthy p99 ${healthy_p99} ms (want < 50)"
awk -v c="$cores" 'BEGIN { exit !(c < 1.0) }' || fail "the exporter used $cores cores (want < 1)"
grep -q '401=' "$WORK/flood.out" || fail "no guess was checked at all: $(cat "$WORK/flood.out")"
grep -q '429=' "$WORK/flood.out" || fail "no flood request was refused cheaply"

curl -sf -u prometheus:s3cret "$URL/metrics" >"$WORK/m"
throttled=$(value 'virtnet_http_logins_refused_total{reason="throttled"}' "$WORK/m")
[[ ${throttled%.*} -gt 0 ]] || fail "no throttled login counted"
full=$(value 'virtnet_http_logins_refused_total{reason="queue_full"}' "$WORK/m")
[[ ${full%.*} -gt 0 ]] || fail "no login refused for a full queue"
unauth=$(value virtnet_http_requests_unauthorized_total "$WORK/m")
check_metrics "$WORK/m"
grep -q 's3cret\|guess\|mallory' "$WORK/exporter.log" && fail "a password or user name is in the log"
echo "login_flood: $unauth guesses checked (401); $full refused for a full queue and $throttled" \
  "throttled (429), without a bcrypt"
