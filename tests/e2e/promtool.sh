#!/usr/bin/env bash
# promtool check metrics must report nothing on the live output, with every option on.
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail "promtool not installed (scripts/deps.sh --test installs it)"
start_exporter "$EXPORTER" --collector.sockstat.tcp-peers
scrape >"$WORK/metrics"
grep -q '^virtnet_sockstat_tcp_sockets{' "$WORK/metrics" || fail "no tcp_sockets in output"
out=$(promtool check metrics <"$WORK/metrics" 2>&1) || fail "promtool failed: $out"
[[ -z "$out" ]] || fail "promtool reported: $out"
echo "promtool check metrics: clean ($(grep -vc '^#' "$WORK/metrics") samples)"
