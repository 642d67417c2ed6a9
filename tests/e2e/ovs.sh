#!/usr/bin/env bash
# The links collector on an Open vSwitch host (Debian's openvswitch-switch, userspace datapath:
# there is no openvswitch kernel module here), in a namespace of the test's own: an integration
# bridge with an instance tap (vm-uuid, iface-id) and an interface OVS cannot add, patched to a
# tunnel bridge whose Geneve interface (OVN's encap IP and type) leaves over a 1400-MTU veth.
# Asserts the headroom and the way through OVS, the headroom 0 once the instance MTU is lowered
# to what the underlay carries, the interface in error, and a SIGSTOPped ovsdb-server: scrapes
# answer in time, the links collector reports the failure, the links and the rest stay.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root to create network namespaces"
command -v ovsdb-server >/dev/null || fail "openvswitch-switch not installed (bash scripts/deps.sh --test)"
NS=vt-ovs-$$
ip netns add "$NS" || skip "cannot create a network namespace here"
CLEANUPS+=("ip netns del $NS")
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link set lo up
# The underlay: a veth holding OVN's encap IP, its MTU under the instance's.
nsx ip link add veth-u type veth peer name veth-p
nsx ip link set veth-u mtu 1400
nsx ip addr add 192.0.2.1/24 dev veth-u
nsx ip link set veth-u up
nsx ip link set veth-p up
nsx ip tuntap add tapvm1 mode tap
nsx ip link set tapvm1 mtu 1500 up

# OVS's files in the test's directory; both daemons in the namespace, so the internal ports'
# devices are made there.
export OVS_RUNDIR=$WORK/ovs OVS_LOGDIR=$WORK/ovs OVS_DBDIR=$WORK/ovs
mkdir -p "$WORK/ovs"
SOCK=$WORK/ovs/db.sock
ovsdb-tool create "$WORK/ovs/conf.db" /usr/share/openvswitch/vswitch.ovsschema
nsx ovsdb-server "$WORK/ovs/conf.db" --remote="punix:$SOCK" --pidfile="$WORK/ovs/ovsdb-server.pid" \
  --log-file="$WORK/ovs/ovsdb-server.log" --detach
OVSDB_PID=$(cat "$WORK/ovs/ovsdb-server.pid")
CLEANUPS+=("kill -CONT $OVSDB_PID 2>/dev/null; kill $OVSDB_PID 2>/dev/null")
vsctl() { ovs-vsctl --db="unix:$SOCK" --timeout=10 "$@"; }
vsctl --no-wait init
nsx ovs-vswitchd "unix:$SOCK" --disable-system --pidfile="$WORK/ovs/ovs-vswitchd.pid" \
  --log-file="$WORK/ovs/ovs-vswitchd.log" --detach
CLEANUPS+=("kill \$(cat $WORK/ovs/ovs-vswitchd.pid) 2>/dev/null")
VM=6f1a0000-0000-4000-8000-0000000000e2
vsctl set open_vswitch . external_ids:ovn-encap-type=geneve external_ids:ovn-encap-ip=192.0.2.1 \
  external_ids:system-id=host-e2e
vsctl add-br br-int -- set bridge br-int datapath_type=netdev
vsctl add-port br-int tapvm1 -- set interface tapvm1 "external_ids:vm-uuid=$VM" \
  external_ids:iface-id=port-e2e external_ids:attached-mac=fa:16:3e:00:00:e2
vsctl add-br br-tun -- set bridge br-tun datapath_type=netdev
vsctl add-port br-int patch-tun -- set interface patch-tun type=patch options:peer=patch-int \
  -- add-port br-tun patch-int -- set interface patch-int type=patch options:peer=patch-tun
vsctl add-port br-tun gnv0 -- set interface gnv0 type=geneve options:remote_ip=192.0.2.2
vsctl add-port br-int missing0 2>/dev/null || true # OVS cannot open it: an interface in error
[[ $(vsctl get interface missing0 ofport) == -1 ]] || fail "missing0 was added after all"

NETNS=$NS start_exporter "$EXPORTER" --collector.disable-defaults --collector.links \
  --collector.sockstat "--collector.links.ovsdb-socket=$SOCK" --collector.links.ovsdb-timeout-ms=1000
wait_for "the OVS topology" bash -c "ip netns exec $NS curl -sf http://127.0.0.1:$PORT/metrics |
  grep -q '^virtnet_links_ovsdb_up 1'"
NETNS=$NS scrape >"$WORK/m"
check_metrics "$WORK/m"
expect_value 'virtnet_scrape_collector_success{collector="links"}' 1 "$WORK/m"
# 1500 + 58 (OVN's Geneve over IPv4) against the underlay's 1400.
expect_value 'virtnet_link_mtu_headroom_bytes{netns="",link="tapvm1"}' -158 "$WORK/m"
expect_value 'virtnet_link_encapsulation_overhead_bytes{netns="",link="tapvm1"}' 58 "$WORK/m"
info=$(grep '^virtnet_link_info{netns="",link="tapvm1"' "$WORK/m") || fail "no info for tapvm1"
for want in 'egress="veth-u"' 'path="tapvm1>br-int>br-tun>gnv0>veth-u"' 'ovs_bridge="br-int"' \
  "vm_uuid=\"$VM\"" 'iface_id="port-e2e"'; do
  [[ $info == *"$want"* ]] || fail "tapvm1's info lacks $want: $info"
done
grep -q '^virtnet_links_ovs_interface_error{bridge="br-int",interface="missing0",type="system",error="could not open network device missing0 (No such device)",vm_uuid="",iface_id=""} 1' \
  "$WORK/m" || fail "missing0 not reported in error: $(grep ovs_interface_error "$WORK/m")"
echo "tapvm1: headroom -158 by tapvm1>br-int>br-tun>gnv0>veth-u, instance $VM; missing0 in error"

# The instance MTU lowered to what the underlay carries: 1400 - 58.
nsx ip link set tapvm1 mtu 1342
NETNS=$NS scrape >"$WORK/m"
expect_value 'virtnet_link_mtu_headroom_bytes{netns="",link="tapvm1"}' 0 "$WORK/m"

# A wedged ovsdb-server: the monitor's echo goes unanswered and the connection is dropped within
# twice the timeout; every scrape meanwhile answers at once.
kill -STOP "$OVSDB_PID"
start=$(date +%s%N)
for i in $(seq 30); do
  t0=$(date +%s%N)
  NETNS=$NS scrape >"$WORK/w" || fail "scrape $i failed while ovsdb-server is stopped"
  ms=$((($(date +%s%N) - t0) / 1000000))
  [[ $ms -lt 1000 ]] || fail "scrape $i took $ms ms while ovsdb-server is stopped"
  [[ $(value virtnet_links_ovsdb_up "$WORK/w") == 0 ]] && break
  sleep 0.2
done
waited=$((($(date +%s%N) - start) / 1000000))
expect_value virtnet_links_ovsdb_up 0 "$WORK/w"
expect_value 'virtnet_scrape_collector_success{collector="links"}' 0 "$WORK/w"
expect_value 'virtnet_scrape_collector_success{collector="sockstat"}' 1 "$WORK/w"
expect_value 'virtnet_link_mtu_bytes{netns="",link="tapvm1"}' 1342 "$WORK/w" # the links stay
[[ $(value 'virtnet_link_mtu_headroom_bytes{netns="",link="tapvm1"}' "$WORK/w") == absent ]] ||
  fail "a stale OVS headroom is served while ovsdb-server does not answer"
[[ $(value virtnet_links_ovsdb_timeouts_total "$WORK/w") -ge 1 ]] || fail "no timeout counted"
grep -q 'ovsdb-server did not answer an echo within 1000 ms' "$WORK/exporter.log" ||
  fail "the failure was not logged"
echo "ovsdb-server stopped: seen down after $waited ms, every scrape under 1 s"
kill -CONT "$OVSDB_PID"
wait_for "the reconnection" bash -c "ip netns exec $NS curl -sf http://127.0.0.1:$PORT/metrics |
  grep -q '^virtnet_links_ovsdb_up 1'"
NETNS=$NS scrape >"$WORK/m"
expect_value 'virtnet_link_mtu_headroom_bytes{netns="",link="tapvm1"}' 0 "$WORK/m"
[[ $(value virtnet_links_ovsdb_reconnects_total "$WORK/m") -ge 1 ]] || fail "no reconnection counted"
echo "PASS"
