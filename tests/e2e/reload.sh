#!/usr/bin/env bash
# SIGHUP reloads the config file; a bad file keeps the running config; SIGTERM stops cleanly.
source "$(dirname "$0")/lib.sh"
CFG="$WORK/virtnet.yml"

# Scrape into a file, then grep: `scrape | grep -q` under pipefail fails whenever grep stops
# reading before curl is done (SIGPIPE), and `! scrape | grep` would pass on a failed scrape.
scraped_has() { scrape "${2:-/metrics}" >"$WORK/r" && grep -q "$1" "$WORK/r"; }
has_sockstat() { scraped_has '^virtnet_sockstat_sockets_used '; }
lacks_sockstat() { scrape >"$WORK/r" && ! grep -q '^virtnet_sockstat_' "$WORK/r"; }
has_peers() { scraped_has '^virtnet_sockstat_tcp_peer_sockets{'; }
log_has() { grep -q "$1" "$WORK/exporter.log"; }

printf 'collectors:\n  sockstat: {enabled: true}\n' >"$CFG"
start_exporter "$EXPORTER" --config.file="$CFG"
has_sockstat || fail "sockstat missing at start"

printf 'collectors:\n  sockstat: {enabled: false}\n' >"$CFG"
kill -HUP "$EXPORTER_PID"
wait_for "sockstat disabled by reload" lacks_sockstat
log_has 'msg="configuration reloaded"' || fail "no reload log line"
scraped_has '<tr><td>sockstat</td><td>no</td><td>disabled</td>' / ||
  fail "landing page does not show sockstat disabled"

printf 'collectors:\n  sockstat: {enabled: true, tcp_peers: maybe}\n' >"$CFG"
kill -HUP "$EXPORTER_PID"
wait_for "reload failure logged" log_has 'reload failed, keeping the running configuration'
grep 'reload failed' "$WORK/exporter.log" | grep -q 'virtnet.yml:2:40: tcp_peers must be a boolean' ||
  fail "reload error lacks file:line:column"
lacks_sockstat || fail "bad reload changed the running config"
kill -0 "$EXPORTER_PID" || fail "exporter died on a bad reload"

printf 'collectors:\n  sockstat: {enabled: true, tcp_peers: true}\n' >"$CFG"
kill -HUP "$EXPORTER_PID"
wait_for "sockstat back with peers" has_peers

kill -TERM "$EXPORTER_PID"
rc=0
timeout 10 tail --pid="$EXPORTER_PID" -f /dev/null || fail "not stopped 10 s after SIGTERM"
wait "$EXPORTER_PID" || rc=$?
[[ $rc -eq 0 ]] || fail "exit code $rc after SIGTERM"
log_has 'msg="shutting down" signal=SIGTERM' || fail "no shutdown log line"
echo "reload: good, bad and good again; SIGTERM exit 0"
