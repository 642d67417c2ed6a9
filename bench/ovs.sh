#!/usr/bin/env bash
# What Open vSwitch costs the links collector: Debian's ovsdb-server and ovs-vswitchd (userspace
# datapath) in a network namespace of the script's own with PORTS instance taps on br-int (each
# with Nova's and Neutron's external_ids), patched to br-tun with a Geneve interface over a veth.
# The exporter (links collector only) is run twice on that same host: with the OVSDB monitor and
# with --collector.links.ovsdb-socket "" (the kernel's links alone); each is scraped SCRAPES
# times. Prints CPU per scrape (utime + stime over the scrapes), RSS after them, and the
# difference per port. Needs root.
#   bash bench/ovs.sh [PORTS (500)] [SCRAPES (200)] [BUILD_DIR (build-release)]
set -euo pipefail
cd "$(dirname "$0")/.."
PORTS=${1:-500}
SCRAPES=${2:-200}
BUILD=${3:-build-release}
NS=virtnet-ovs-bench-$$
DIR=$(mktemp -d /tmp/virtnet-ovs-bench.XXXXXX)
PID=
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  for p in "$DIR"/ovs-vswitchd.pid "$DIR"/ovsdb-server.pid; do
    [[ -f $p ]] && kill "$(cat "$p")" 2>/dev/null
  done
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
if [[ ! -x "$BUILD/virtnet_exporter" ]]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target virtnet_exporter >/dev/null
fi
nsx() { ip netns exec "$NS" "$@"; }
ip netns add "$NS"
nsx ip link set lo up
nsx ip link add veth-u type veth peer name veth-p
nsx ip addr add 192.0.2.1/24 dev veth-u
nsx ip link set veth-u up
nsx ip link set veth-p up
export OVS_RUNDIR=$DIR OVS_LOGDIR=$DIR OVS_DBDIR=$DIR
SOCK=$DIR/db.sock
ovsdb-tool create "$DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema
nsx ovsdb-server "$DIR/conf.db" --remote="punix:$SOCK" --pidfile="$DIR/ovsdb-server.pid" \
  --log-file="$DIR/ovsdb-server.log" --detach
vsctl() { ovs-vsctl --db="unix:$SOCK" --timeout=60 "$@"; }
vsctl --no-wait init
nsx ovs-vswitchd "unix:$SOCK" --disable-system --pidfile="$DIR/ovs-vswitchd.pid" \
  --log-file="$DIR/ovs-vswitchd.log" --detach
vsctl set open_vswitch . external_ids:ovn-encap-type=geneve external_ids:ovn-encap-ip=192.0.2.1
vsctl add-br br-int -- set bridge br-int datapath_type=netdev
vsctl add-br br-tun -- set bridge br-tun datapath_type=netdev
vsctl add-port br-int patch-tun -- set interface patch-tun type=patch options:peer=patch-int \
  -- add-port br-tun patch-int -- set interface patch-int type=patch options:peer=patch-tun
vsctl add-port br-tun gnv0 -- set interface gnv0 type=geneve options:remote_ip=192.0.2.2
args=()
for i in $(seq "$PORTS"); do
  nsx ip tuntap add "tap$i" mode tap
  nsx ip link set "tap$i" up
  id=$(printf '6f1a0000-0000-4000-8000-%012d' "$i")
  args+=(-- add-port br-int "tap$i" -- set interface "tap$i" "external_ids:vm-uuid=$id"
    "external_ids:iface-id=port-$i" "external_ids:attached-mac=fa:16:3e:00:$((i / 256 % 256)):$((i % 256))")
  if ((i % 100 == 0 || i == PORTS)); then
    vsctl "${args[@]}"
    args=()
  fi
done
echo "ovs: $PORTS instance taps on br-int, patched to br-tun with a Geneve interface"

run() {  # run LABEL FLAGS...: CPU ms per scrape, RSS MiB
  local label=$1 port=19198 t0 t1 ticks
  shift
  # Not through nsx: $! must be the exporter (ip netns exec execs it), not a subshell.
  ip netns exec "$NS" "$BUILD/virtnet_exporter" --web.listen-address=127.0.0.1:$port --log.level=warn \
    --collector.disable-defaults --collector.links "$@" &
  PID=$!
  for _ in $(seq 100); do nsx curl -sf -o /dev/null "http://127.0.0.1:$port/-/ready" && break; sleep 0.1; done
  sleep 1 # the monitor's reply in
  nsx curl -sf "http://127.0.0.1:$port/metrics" >"$DIR/$label.metrics"
  t0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
  for _ in $(seq "$SCRAPES"); do nsx curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"; done
  t1=$(awk '{print $14 + $15}' "/proc/$PID/stat")
  ticks=$(getconf CLK_TCK)
  CPU=$(awk -v a="$t0" -v b="$t1" -v n="$SCRAPES" -v hz="$ticks" 'BEGIN { printf "%.2f", (b - a) * 1000 / hz / n }')
  RSS=$(awk '/^VmRSS/ { print $2 }' "/proc/$PID/status")
  SERIES=$(grep -vc '^#' "$DIR/$label.metrics")
  kill "$PID"
  wait "$PID" 2>/dev/null || true
  PID=
}
run ovs "--collector.links.ovsdb-socket=$SOCK"
cpu_ovs=$CPU rss_ovs=$RSS series_ovs=$SERIES
grep -q '^virtnet_links_ovsdb_up 1' "$DIR/ovs.metrics" || { echo "ovsdb not up" >&2; exit 1; }
headroom=$(grep -c '^virtnet_link_mtu_headroom_bytes{netns="",link="tap' "$DIR/ovs.metrics" || true)
run kernel --collector.links.ovsdb-socket ""
cpu_k=$CPU rss_k=$RSS series_k=$SERIES
printf '%-30s %12s %10s %8s\n' "" "CPU ms/scrape" "RSS KiB" "series"
printf '%-30s %12s %10s %8s\n' "links with the OVSDB monitor" "$cpu_ovs" "$rss_ovs" "$series_ovs"
printf '%-30s %12s %10s %8s\n' "links, ovsdb-socket=\"\"" "$cpu_k" "$rss_k" "$series_k"
awk -v a="$cpu_ovs" -v b="$cpu_k" -v ra="$rss_ovs" -v rb="$rss_k" -v n="$PORTS" -v h="$headroom" 'BEGIN {
  printf "ratio %.2f; %d taps with an OVS headroom; memory per port %.0f bytes (RSS difference / %d)\n",
    a / b, h, (ra - rb) * 1024 / n, n }'
