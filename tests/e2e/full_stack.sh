#!/usr/bin/env bash
# The whole way from an incident to a page, with the real things: the exporter, a real Prometheus
# (Debian's) loading the shipped rules (regenerated with `for` shortened by an overrides file, as
# an operator would) and scraping every second, a real Alertmanager (Debian's) routing to a
# webhook receiver of the test's own that records every notification, on the host's loopback.
# Reproduced with real processes, in the host and in namespaces of the test's own:
# - a keepalived pair in two namespaces whose master's VRRP process is stopped for 5 s
#   (lib_keepalived.sh; the exporter captures inside them with --collector.vrrp.netns);
# - a real qemu (a libvirt domain, lib_libvirt.sh) whose tap netdev is vhost=off, its console
#   log growing 1 MiB a second; another domain whose disk's backing file is deleted;
# - in the master's namespace (--collector.links.netns): a VXLAN whose underlay MTU is 100
#   bytes too small, a 9000-MTU tap on a 1500 bridge;
# - a process in no group leaking 10 fds a second towards its limit of 512, holding at 480;
# - BPDUs written into an instance's tap on a bridge with STP off, in the host;
# - 600 TCP sockets left in CLOSE_WAIT.
# Asserted: each incident's alert reaches the webhook with the culprit in its labels; the healthy
# neighbours beside them (a VXLAN sized right, a quiet tap, a process far from its limit, an
# intact disk, a quiet console, the backup router) are named by no notification; no collector
# fails; every dashboard panel's query returns data from that Prometheus.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_keepalived.sh"
source "$(dirname "$0")/lib_libvirt.sh"
command -v prometheus >/dev/null || fail "prometheus not installed (bash scripts/deps.sh --test)"
command -v prometheus-alertmanager >/dev/null ||
  fail "prometheus-alertmanager not installed (bash scripts/deps.sh --test)"
T0=$SECONDS
keepalived_pair
in_m() { ip -n "$M" "$@"; }

# Links in the master's namespace: vx0 over an underlay lowered to 1400 (headroom -100); vx1
# sized for it (1350 + 50 = 1400, headroom 0); tapjumbo0 at 9000 on br-j at 1500.
in_m link add ul0 type veth peer name ul1
in_m link add vx0 type vxlan id 42 dev ul0 dstport 4789
in_m link add vx1 type vxlan id 43 dev ul0 dstport 4790
in_m link set vx0 mtu 1450
in_m link set vx1 mtu 1350
in_m link set ul0 mtu 1400
in_m link set ul1 mtu 1400
in_m link add br-j type bridge
in_m tuntap add tapjumbo0 mode tap
in_m link set tapjumbo0 mtu 9000
in_m link set tapjumbo0 master br-j
in_m link set br-j mtu 1500  # else a bridge takes its one port's MTU
for l in ul0 ul1 vx0 vx1 br-j tapjumbo0; do in_m link set "$l" up; done
# In the host, as on a hypervisor: a bridge with STP off, an instance's tap that sends BPDUs,
# one that does not, an uplink.
BR=vtfs-br$$
ip link add "$BR" type bridge stp_state 0
CLEANUPS+=("ip link del $BR")
TB=tapfsb$$
TQ=tapfsq$$
make_tap "$TB"
make_tap "$TQ"
ip link add vtfs-up$$ type veth peer name vtfs-sw$$
CLEANUPS+=("ip link del vtfs-up$$")
for l in "$TB" "$TQ" vtfs-up$$; do ip link set "$l" master "$BR"; done
for l in "$BR" "$TB" "$TQ" vtfs-up$$ vtfs-sw$$; do ip link set "$l" up; done

# libvirt: vt-fs-a runs (its tap vhost=off: no /dev/vhost-net here, and <driver name='qemu'/>);
# vt-fs-b is defined over a base that will be deleted; vt-fs-c over one that stays.
libvirt_up
I=$WORK/instances
mkdir -p "$I/_base" "$I/a" "$I/b" "$I/c"
for d in a b c; do
  qemu-img create -q -f raw "$I/_base/$d-base" 16M
  qemu-img create -q -f qcow2 -b "$I/_base/$d-base" -F raw "$I/$d/disk"
  : >"$I/$d/console.log"
done
make_tap vt-fs-ta
domain_xml vt-fs-a "$I/a/disk" vt-fs-ta "$I/a/console.log" "<driver name='qemu'/>" >"$WORK/a.xml"
make_tap vt-fs-tb
domain_xml vt-fs-b "$I/b/disk" vt-fs-tb "$I/b/console.log" >"$WORK/b.xml"
make_tap vt-fs-tc
domain_xml vt-fs-c "$I/c/disk" vt-fs-tc "$I/c/console.log" >"$WORK/c.xml"
DOMAINS+=(vt-fs-a vt-fs-b vt-fs-c)
for d in a b c; do "${VIRSH[@]}" define "$WORK/$d.xml" >/dev/null; done
"${VIRSH[@]}" start vt-fs-a >/dev/null

# The leaker: in no process group, limit 512, 10 fds a second up to 480, then it holds them.
# Its neighbour holds 50 of the same limit.
hold_fds() {  # hold_fds COMM TARGET PER_SECOND
  prlimit --nofile=512:512 /usr/bin/python3 -c '
import os, sys, time, ctypes
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)  # PR_SET_NAME
fds = []
while True:
    if len(fds) < int(sys.argv[2]):
        fds += [os.open("/dev/null", os.O_RDONLY) for _ in range(int(sys.argv[3]))]
    time.sleep(1)' "$@" &
  PIDS+=($!)
}
hold_fds fdleaker 480 10
LEAKER=$!
hold_fds fdsteady 50 50
STEADY=$!

# 600 sockets in CLOSE_WAIT (their peers closed, the process does not), 4 established.
coproc MAKER { prlimit --nofile=4096:4096 "$BUILD_DIR/tests/tcp_state_maker" "$(free_port)" 4 600; }
PIDS+=("$MAKER_PID")
read -r -t 20 line <&"${MAKER[0]}" || fail "tcp_state_maker did not start"
[[ $line == ready ]] || fail "tcp_state_maker said: $line"

start_exporter "$EXPORTER" --collector.disable-defaults --collector.vrrp --collector.vrrp.netns \
  --collector.bpdu --collector.links --collector.links.netns --collector.sockstat \
  --collector.process --collector.qemu --collector.libvirt --collector.console \
  --collector.console.globs="$I/*/console.log"

# The rules an operator would load, with `for` cut to 5 s (the incidents last seconds here):
# every alert but those that judge minutes or hours of history (split brain across a failover,
# flapping, memory trends, a large console log).
{
  echo "alerts:"
  "$EXPORTER" rules | awk '/- alert:/ {print $3}' |
    grep -vxE 'VirtnetVrrpSplitBrain|VirtnetVrrpSplitBrainAcrossHosts|VirtnetVrrpFlapping|VirtnetProcessMapped.*|VirtnetProcessMappingsGrowing|VirtnetConsoleLogLarge' |
    sed 's/.*/  &: {for: 5s}/'
} >"$WORK/overrides.yml"
"$EXPORTER" rules --rules.overrides "$WORK/overrides.yml" >"$WORK/rules.yml" ||
  fail "rules --rules.overrides: $(cat "$WORK/overrides.yml")"
promtool check rules "$WORK/rules.yml" >/dev/null || fail "promtool check rules on the overridden rules"

# The webhook, Alertmanager (every alert its own group, sent at once) and Prometheus.
WPORT=$(free_port)
/usr/bin/python3 "$SRC_DIR/tests/support/webhook_recorder.py" "$WPORT" \
  "$WORK/notifications.jsonl" >"$WORK/webhook.log" 2>&1 &
PIDS+=($!)
cat >"$WORK/alertmanager.yml" <<YML
route:
  receiver: recorder
  group_by: ['...']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: recorder
    webhook_configs:
      - url: http://127.0.0.1:$WPORT/
        send_resolved: false
YML
APORT=$(free_port)
prometheus-alertmanager --config.file="$WORK/alertmanager.yml" \
  --storage.path="$WORK/am" --web.listen-address="127.0.0.1:$APORT" --cluster.listen-address= \
  --log.level=warn >"$WORK/alertmanager.log" 2>&1 &
PIDS+=($!)
cat >"$WORK/prometheus.yml" <<YML
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: ['$WORK/rules.yml']
alerting:
  alertmanagers:
    - static_configs: [{targets: ['127.0.0.1:$APORT']}]
scrape_configs:
  - job_name: virtnet
    static_configs: [{targets: ['127.0.0.1:$PORT'], labels: {instance: hv-fullstack}}]
YML
PPORT=$(free_port)
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PPORT" --rules.alert.resend-delay=1s --log.level=warn \
  >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
api() { curl -sf "http://127.0.0.1:$PPORT/api/v1/$1" "${@:2}"; }
for _ in $(seq 100); do
  [[ "$(api targets 2>/dev/null | grep -o '"health":"up"')" ]] && break
  sleep 0.2
done
api targets | grep -q '"health":"up"' || fail "Prometheus does not scrape the exporter: $(api targets; tail -5 "$WORK/prometheus.log")"
echo "set up in $((SECONDS - T0)) s: Prometheus scrapes the exporter, Alertmanager and the webhook listen"

# The incidents that need acting on: the master's VRRP process stopped 5 s (a backup takes over,
# then it preempts back); BPDUs into the tap; the console written 1 MiB a second; the base of
# vt-fs-b deleted.
sleep 3
kill -STOP "$VRRP_PID"
/usr/bin/python3 "$SRC_DIR/tests/support/bpdu_send.py" "$TB" 20 &
PIDS+=($!)
rm "$I/_base/b-base"
for _ in 1 2 3 4 5; do
  head -c 1048576 /dev/zero | tr '\0' 'x' >>"$I/a/console.log"
  sleep 1
done
kill -CONT "$VRRP_PID"
( for _ in $(seq 60); do head -c 1048576 /dev/zero | tr '\0' 'x' >>"$I/a/console.log"; sleep 1; done ) &
PIDS+=($!)

# Each incident's page, with its culprit: alert name and the labels it must carry.
EXPECT=(
  'VirtnetVrrpMasterDownGap netns='"$M"' interface=vrm vrid=51 source=10.99.0.1'
  'VirtnetQemuNetdevUserspace domain=vt-fs-a'
  'VirtnetLibvirtInterfaceUserspace domain=vt-fs-a link=vt-fs-ta'
  'VirtnetLinkMtuHeadroomNegative netns='"$M"' link=vx0'
  'VirtnetLinkMtuMismatch netns='"$M"' link=tapjumbo0 other=br-j'
  'VirtnetProcessTopFdsNearLimit comm=fdleaker pid='"$LEAKER"' group=none'
  'VirtnetProcessFdsExhaustionPredicted comm=fdleaker pid='"$LEAKER"
  'VirtnetBpduFromInstance interface='"$TB"
  'VirtnetTcpCloseWaitPilingUp state=close_wait'
  'VirtnetConsoleLogGrowing domain=vt-fs-a path='"$I/a/console.log"
  'VirtnetDiskBackingFileMissing domain=vt-fs-b disk=vda'
)
missing() {  # prints the expected pages not yet received
  /usr/bin/python3 - "$WORK/notifications.jsonl" "${EXPECT[@]}" <<'PY'
import json, sys
alerts = []
try:
    for line in open(sys.argv[1]):
        alerts += [a["labels"] for a in json.loads(line).get("alerts", [])]
except FileNotFoundError:
    pass
for want in sys.argv[2:]:
    name, *pairs = want.split()
    need = dict(p.split("=", 1) for p in pairs)
    if not any(l.get("alertname") == name and all(l.get(k) == v for k, v in need.items())
               for l in alerts):
        print(want)
PY
}
for _ in $(seq 120); do
  [[ -z "$(missing)" ]] && break
  sleep 1
done
left=$(missing)
[[ -z "$left" ]] || fail "pages that never reached the webhook (after $((SECONDS - T0)) s):
$left
received: $(cut -c1-3000 "$WORK/notifications.jsonl" 2>/dev/null)
firing in Prometheus: $(api alerts | head -c 3000)"
echo "every incident paged with its culprit after $((SECONDS - T0)) s: ${#EXPECT[@]} notifications"

# The healthy neighbours: no notification names them; no collector failed.
QUIET=("$STEADY" "$I" "$TQ" "vtfs-up$$")
/usr/bin/python3 - "$WORK/notifications.jsonl" "${QUIET[@]}" <<'PY' || fail "a healthy neighbour paged (above)"
import json, sys
steady, inst, quiet_tap, uplink = sys.argv[2:6]
quiet = {
    "link": {"vx1", quiet_tap},
    "interface": {quiet_tap, uplink},
    "pid": {steady},
    "domain": {"vt-fs-c"},
    "path": {inst + "/b/console.log", inst + "/c/console.log"},
    "source": {"10.99.0.2"},
    "state": {"established"},
}
bad = 0
names = set()
for line in open(sys.argv[1]):
    for a in json.loads(line).get("alerts", []):
        l = a["labels"]
        names.add(l["alertname"])
        hit = [k for k, vs in quiet.items() if l.get(k) in vs]
        if hit or l["alertname"] in ("VirtnetCollectorFailing", "VirtnetCollectorStale"):
            print("paged:", l)
            bad += 1
print("alerts received:", " ".join(sorted(names)))
sys.exit(1 if bad else 0)
PY

# Every dashboard panel's query returns data from this Prometheus.
/usr/bin/python3 - "$SRC_DIR/dashboards" <<'PY' >"$WORK/queries.tsv"
import json, pathlib, sys
for b in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    for p in json.loads(b.read_text())["panels"]:
        for t in p.get("targets", []):
            e = (t["expr"].replace("$__rate_interval", "1m").replace("$__range", "5m")
                 .replace("$job", ".+").replace("$instance", ".+"))
            print(f"{b.name}: {p['title']}\t{e}")
PY
empty=0
n=0
while IFS=$'\t' read -r where q; do
  n=$((n + 1))
  out=$(api query --data-urlencode "query=$q") || fail "$where: the query failed: $q"
  if [[ "$out" != *'"result":[{'* ]]; then
    echo "no data: $where: $q" >&2
    empty=$((empty + 1))
  fi
done <"$WORK/queries.tsv"
[[ $empty -eq 0 ]] || fail "$empty of $n panel queries returned no data from Prometheus"
echo "dashboards: all $n panel queries return data from Prometheus"
echo "full stack in $((SECONDS - T0)) s"
