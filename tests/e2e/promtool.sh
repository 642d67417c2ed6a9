#!/usr/bin/env bash
# promtool check metrics must report nothing on the live output, with every option on.
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail "promtool not installed (scripts/deps.sh --test installs it)"
start_exporter "$EXPORTER" --collector.sockstat.tcp-peers
scrape >"$WORK/metrics"
grep -q '^virtnet_sockstat_tcp_sockets{' "$WORK/metrics" || fail "no tcp_sockets in output"
check_metrics "$WORK/metrics"
echo "promtool check metrics: clean ($(grep -vc '^#' "$WORK/metrics") samples)"
