#!/usr/bin/env bash
# Stalled TLS handshakes cost no CPU and cannot hold the server: 200 connections that send one
# byte of a ClientHello and stop, and 200 whose handshake stalls after the ClientHello. The
# exporter's CPU over 10 s (from /proc) stays at its idle level while a legitimate TLS scrape is
# answered at once; every stalled connection is closed at --web.tls-handshake-timeout and counted.
source "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || fail "openssl is not installed (scripts/deps.sh --test installs it)"
T="$WORK/tls"
mkdir -p "$T"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/s.key" \
  -out "$T/s.crt" -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
printf 'tls_server_config:\n  cert_file: tls/s.crt\n  key_file: tls/s.key\n' >"$WORK/web.yml"
SCHEME=https READY_CURL_ARGS="--cacert $T/s.crt" start_exporter "$EXPORTER" \
  --web.config.file="$WORK/web.yml" --web.max-connections=1000 --web.max-connections-per-ip=0 \
  --web.tls-handshake-timeout=4s --web.idle-timeout=30s
ticks() { awk '{ print $14 + $15 }' "/proc/$EXPORTER_PID/stat"; }
hz=$(getconf CLK_TCK)

# The stallers, in the background: they hold their connections for 25 s, longer than the test
# looks (so that no close of theirs is taken for the timeout's).
/usr/bin/python3 - "$PORT" >"$WORK/stall.out" 2>&1 <<'PY' &
import socket, ssl, sys, time
port = int(sys.argv[1])
held = []
for _ in range(200):  # one byte of a ClientHello
    s = socket.create_connection(("127.0.0.1", port))
    s.send(b"\x16")
    held.append(s)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
for _ in range(200):  # a whole ClientHello, then silence: the server's answer is never read on
    s = socket.create_connection(("127.0.0.1", port))
    out, inc = ssl.MemoryBIO(), ssl.MemoryBIO()
    t = ctx.wrap_bio(inc, out, server_side=False)
    try:
        t.do_handshake()
    except ssl.SSLWantReadError:
        pass
    s.send(out.read())
    held.append(s)
print("held", len(held), flush=True)
time.sleep(25)
PY
PIDS+=($!)
wait_for "400 stalled connections" grep -q '^held 400' "$WORK/stall.out"
open=$(curl -sf --cacert "$T/s.crt" "https://127.0.0.1:$PORT/metrics" | awk '/^virtnet_http_connections / { print $2 }')
[[ ${open%.*} -ge 400 ]] || fail "want 400 connections held, the exporter counts $open"

# A legitimate scrape while the 400 are held, then 10 s of the exporter's CPU with nothing but
# them (they are closed at the 4 s timeout, within the window).
took=$(curl -s -o "$WORK/m" -w '%{time_total}' --cacert "$T/s.crt" "https://127.0.0.1:$PORT/metrics")
awk -v t="$took" 'BEGIN { exit !(t < 1.0) }' || fail "the legitimate scrape took $took s"
grep -q '^virtnet_scrape_collector_success' "$WORK/m" || fail "the legitimate scrape has no metrics"
echo "legitimate TLS scrape while 400 handshakes stall: ${took} s"
t0=$(ticks)
sleep 10
t1=$(ticks)
used=$((t1 - t0))
pct=$(awk -v u="$used" -v hz="$hz" 'BEGIN { printf "%.2f", u / hz / 10 * 100 }')
echo "exporter CPU over 10 s with 400 stalled handshakes: $used ticks ($pct % of a core)"
awk -v p="$pct" 'BEGIN { exit !(p < 1.0) }' || fail "the exporter used $pct % of a core (want < 1 %)"

# A client that finishes its handshake and then waits past the handshake timeout is idle, not
# stalled: it is still answered (within the idle timeout) and not counted.
/usr/bin/python3 - "$PORT" "$T/s.crt" <<'PY' || fail "a handshaken client waiting 5 s was closed"
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="127.0.0.1")
time.sleep(5)
s.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
assert s.recv(100).startswith(b"HTTP/1.1 200"), "no 200"
PY

# Each stalled handshake was closed at the timeout, and counted (the waiting client was not).
curl -sf --cacert "$T/s.crt" "https://127.0.0.1:$PORT/metrics" >"$WORK/m2"
n=$(value virtnet_http_tls_handshake_timeouts_total "$WORK/m2")
[[ ${n%.*} -eq 400 ]] || fail "want 400 handshakes timed out, counted $n"
open=$(value virtnet_http_connections "$WORK/m2")
[[ ${open%.*} -le 5 ]] || fail "$open connections still open after the handshake timeout"
check_metrics "$WORK/m2"
echo "tls_stall: $n stalled handshakes closed at the 4 s timeout and counted, $open connections left"
