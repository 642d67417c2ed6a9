#!/usr/bin/env bash
# TCP state counts through netlink sock_diag against sockets in known states, in a network
# namespace of our own so nothing else on the machine adds sockets.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root to create a network namespace"
NETNS="virtnet-e2e-$$"
ip netns add "$NETNS" || skip "cannot create network namespaces here"
CLEANUPS+=("ip netns del $NETNS")
ip netns exec "$NETNS" ip link set lo up

# 4 connections from 127.0.0.2, 2 from 127.0.0.3 whose server side closed.
coproc MAKER { ip netns exec "$NETNS" "$BUILD_DIR/tests/tcp_state_maker" 7000 4 2; }
PIDS+=("$MAKER_PID")
read -r -t 10 line <&"${MAKER[0]}" || fail "tcp_state_maker did not start"
[[ $line == ready ]] || fail "tcp_state_maker said: $line"

start_exporter "$EXPORTER" --collector.sockstat.tcp-peers --collector.sockstat.tcp-peers-top-n=3
sleep 0.3  # let the readiness probes' connections finish closing
scrape >"$WORK/m"
t='virtnet_sockstat_tcp_sockets'
expect_value "$t{family=\"ipv4\",state=\"listen\"}" 2 "$WORK/m"        # maker + exporter
expect_value "$t{family=\"ipv4\",state=\"established\"}" 10 "$WORK/m"  # 4x2 + this scrape x2
expect_value "$t{family=\"ipv4\",state=\"fin_wait2\"}" 2 "$WORK/m"
expect_value "$t{family=\"ipv4\",state=\"close_wait\"}" 2 "$WORK/m"
expect_value "$t{family=\"ipv6\",state=\"listen\"}" 1 "$WORK/m"
expect_value "$t{family=\"ipv6\",state=\"established\"}" 0 "$WORK/m"
p='virtnet_sockstat_tcp_peer_sockets'
expect_value "$p{family=\"ipv4\",state=\"established\",peer=\"127.0.0.2\"}" 4 "$WORK/m"
expect_value "$p{family=\"ipv4\",state=\"fin_wait2\",peer=\"127.0.0.3\"}" 2 "$WORK/m"
expect_value "$p{family=\"ipv4\",state=\"close_wait\",peer=\"127.0.0.1\"}" 2 "$WORK/m"
# The count must follow the sockets: close the maker and its sockets are gone.
kill "$MAKER_PID"
wait "$MAKER_PID" 2>/dev/null || true
sleep 0.2
scrape >"$WORK/m2"
expect_value "$t{family=\"ipv4\",state=\"listen\"}" 1 "$WORK/m2"
expect_value "$t{family=\"ipv4\",state=\"close_wait\"}" 0 "$WORK/m2"
expect_value "$t{family=\"ipv6\",state=\"listen\"}" 0 "$WORK/m2"
echo "sock_diag_netns: counts match the sockets made"
