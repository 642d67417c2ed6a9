#!/usr/bin/env bash
# The libvirt and console collectors against a real libvirtd and real qemu domains (lib_libvirt.sh):
# - vt-e2e-a runs: a qcow2 over qcow2 over raw chain, Nova's metadata, an interface with
#   <driver name='qemu'/> on a tap of the test's own, a file console;
# - vt-e2e-b is defined and never started: a qcow2 overlay over a raw base;
# - vt-e2e-c is started and destroyed between scrapes (a transient domain).
# Checked: the userspace interface tied to its tap; the console size follows 1 MiB written; the
# running domain's base deleted and the never-started one's base deleted are both reported
# missing; libvirtd stopped with SIGSTOP: each scrape answers within the collector's timeout,
# libvirt reports success 0 with the reason, sockstat is intact; after SIGCONT, and after libvirtd
# is killed and started again, data comes back without restarting the exporter; diagnose names the
# missing backing file, the userspace interface and an oversized console log; promtool is clean.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_libvirt.sh"
libvirt_up
echo "libvirtd $("${VIRSH[@]}" version | awk '/library/ {print $NF; exit}'), domains of type $DOMTYPE"

I=$WORK/instances
mkdir -p "$I/_base" "$I/11111111-aaaa-4aaa-8aaa-000000000001" "$I/22222222-bbbb-4bbb-8bbb-000000000002"
A_DIR=$I/11111111-aaaa-4aaa-8aaa-000000000001
B_DIR=$I/22222222-bbbb-4bbb-8bbb-000000000002
qemu-img create -q -f raw "$I/_base/a-base" 16M
qemu-img create -q -f qcow2 -b "$I/_base/a-base" -F raw "$A_DIR/mid"
qemu-img create -q -f qcow2 -b mid -F qcow2 "$A_DIR/disk"
qemu-img create -q -f raw "$I/_base/b-base" 16M
qemu-img create -q -f qcow2 -b "$I/_base/b-base" -F raw "$B_DIR/disk"
make_tap vt-e2e-ta
make_tap vt-e2e-tb
make_tap vt-e2e-tc
NOVA="<metadata><nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'>
  <nova:name>web-a</nova:name><nova:flavor name='m1.tiny'/><nova:owner>
  <nova:user uuid='u-0001'>alice</nova:user><nova:project uuid='p-0001'>demo</nova:project>
  </nova:owner></nova:instance></metadata><uuid>11111111-aaaa-4aaa-8aaa-000000000001</uuid>"
domain_xml vt-e2e-a "$A_DIR/disk" vt-e2e-ta "$A_DIR/console.log" "<driver name='qemu'/>" "$NOVA" >"$WORK/a.xml"
domain_xml vt-e2e-b "$B_DIR/disk" vt-e2e-tb "$B_DIR/console.log" "" \
  "<uuid>22222222-bbbb-4bbb-8bbb-000000000002</uuid>" >"$WORK/b.xml"
DOMAINS+=(vt-e2e-a vt-e2e-b vt-e2e-c)
"${VIRSH[@]}" define "$WORK/a.xml" >/dev/null
"${VIRSH[@]}" define "$WORK/b.xml" >/dev/null
"${VIRSH[@]}" start vt-e2e-a >/dev/null

start_exporter "$EXPORTER" --collector.disable-defaults --collector.libvirt --collector.console \
  --collector.sockstat --collector.qemu --collector.console.globs="$I/*/console.log"
A='domain="vt-e2e-a",uuid="11111111-aaaa-4aaa-8aaa-000000000001"'
B='domain="vt-e2e-b",uuid="22222222-bbbb-4bbb-8bbb-000000000002"'
scrape >"$WORK/m1"
check_metrics "$WORK/m1"
expect_value 'virtnet_scrape_collector_success{collector="libvirt"}' 1 "$WORK/m1"
expect_value 'virtnet_scrape_collector_success{collector="console"}' 1 "$WORK/m1"
expect_value "virtnet_libvirt_domain_state{$A,state=\"running\",reason=\"booted\"}" 1 "$WORK/m1"
expect_value "virtnet_libvirt_domain_state{$B,state=\"shutoff\",reason=\"unknown\"}" 1 "$WORK/m1"
expect_value "virtnet_libvirt_nova_instance_info{$A,name=\"web-a\",flavor=\"m1.tiny\",project_id=\"p-0001\",user_id=\"u-0001\"}" 1 "$WORK/m1"
expect_value "virtnet_libvirt_interface_vhost{$A,link=\"vt-e2e-ta\"}" 0 "$WORK/m1"
expect_value "virtnet_libvirt_interface_vhost{$B,link=\"vt-e2e-tb\"}" absent "$WORK/m1"  # shut off
expect_value "virtnet_libvirt_domain_vcpus{$A}" 1 "$WORK/m1"
expect_value "virtnet_libvirt_domain_memory_bytes{$A}" 33554432 "$WORK/m1"
expect_value "virtnet_libvirt_domain_balloon_bytes{$A}" 33554432 "$WORK/m1"
expect_value "virtnet_libvirt_domain_balloon_bytes{$B}" absent "$WORK/m1"
grep -q "^virtnet_libvirt_interface_info{$A,link=\"vt-e2e-ta\",type=\"ethernet\",source=\"\",model=\"virtio\",mac=\"[0-9a-f:]*\",driver=\"qemu\"} 1" "$WORK/m1" ||
  fail "the interface with <driver name='qemu'/> is not tied to its tap: $(grep interface_info "$WORK/m1")"
expect_value "virtnet_libvirt_disk_chain_files{$A,disk=\"vda\"}" 3 "$WORK/m1"
expect_value "virtnet_libvirt_disk_chain_files{$B,disk=\"vda\"}" 2 "$WORK/m1"
expect_value "virtnet_libvirt_disk_backing_missing{$A,disk=\"vda\"}" 0 "$WORK/m1"
expect_value "virtnet_libvirt_disk_backing_missing{$B,disk=\"vda\"}" 0 "$WORK/m1"
# The join key: the qemu collector names the real qemu alike.
grep -q "^virtnet_qemu_vm_info{$A,pid=\"[0-9]*\"} 1" "$WORK/m1" ||
  fail "the qemu collector does not name vt-e2e-a alike: $(grep qemu_vm_info "$WORK/m1")"

# The console: found through libvirt's XML (and the glob), its size follows 1 MiB written.
CON="virtnet_console_log_bytes{path=\"$A_DIR/console.log\",$A"
before=$(awk -v s="$CON" 'index($0, s) == 1 { print $2 }' "$WORK/m1")
[[ -n $before ]] || fail "no console log series for vt-e2e-a: $(grep console_log_bytes "$WORK/m1")"
head -c 1048576 /dev/zero | tr '\0' 'x' >>"$A_DIR/console.log"
scrape >"$WORK/m2"
after=$(awk -v s="$CON" 'index($0, s) == 1 { print $2 }' "$WORK/m2")
[[ $((after - before)) -eq 1048576 ]] || fail "console size went from $before to $after after 1 MiB"

# The bases deleted: the running domain's (its live chain, stat) and the never-started one's
# (its qcow2 header).
rm "$I/_base/a-base" "$I/_base/b-base"
scrape >"$WORK/m3"
expect_value "virtnet_libvirt_disk_backing_missing{$A,disk=\"vda\"}" 1 "$WORK/m3"
expect_value "virtnet_libvirt_disk_missing_file_info{$A,disk=\"vda\",path=\"$I/_base/a-base\",position=\"2\"}" 1 "$WORK/m3"
expect_value "virtnet_libvirt_disk_backing_missing{$B,disk=\"vda\"}" 1 "$WORK/m3"
expect_value "virtnet_libvirt_disk_missing_file_info{$B,disk=\"vda\",path=\"$I/_base/b-base\",position=\"1\"}" 1 "$WORK/m3"

# A transient domain between scrapes: its series come and go.
qemu-img create -q -f qcow2 "$WORK/c.qcow2" 16M
domain_xml vt-e2e-c "$WORK/c.qcow2" vt-e2e-tc "$WORK/c-console.log" >"$WORK/c.xml"
"${VIRSH[@]}" create "$WORK/c.xml" >/dev/null
scrape >"$WORK/m4"
grep -q '^virtnet_libvirt_domain_state{domain="vt-e2e-c",.*state="running"' "$WORK/m4" ||
  fail "the transient domain is not reported while it runs"
"${VIRSH[@]}" destroy vt-e2e-c >/dev/null
scrape >"$WORK/m5"
! grep -q 'domain="vt-e2e-c"' "$WORK/m5" || fail "the destroyed domain's series stay: $(grep 'vt-e2e-c' "$WORK/m5" | head -3)"

# diagnose: a console log over 1 GiB (sparse), beside the missing bases and the userspace tap.
truncate -s 2G "$A_DIR/console.log"
rc=0
"$EXPORTER" diagnose --watch 1s --output json --collector.disable-defaults --collector.libvirt \
  --collector.console --collector.console.globs="$I/*/console.log" >"$WORK/diag.json" 2>"$WORK/diag.err" || rc=$?
[[ $rc -eq 1 ]] || fail "diagnose: exit $rc ($(head -c 1000 "$WORK/diag.err"))"
python3 - "$WORK/diag.json" <<'PY' || fail "diagnose: $(head -c 3000 "$WORK/diag.json")"
import json, sys
found = {(f["alert"], tuple(sorted(f["culprit"].items()))) for f in json.load(open(sys.argv[1]))["findings"]}
want = [("VirtnetDiskBackingFileMissing", "vt-e2e-a"), ("VirtnetDiskBackingFileMissing", "vt-e2e-b"),
        ("VirtnetLibvirtInterfaceUserspace", "vt-e2e-a"), ("VirtnetConsoleLogLarge", "vt-e2e-a")]
for alert, dom in want:
    assert any(a == alert and ("domain", dom) in c for a, c in found), (alert, dom, found)
PY
truncate -s 0 "$A_DIR/console.log"

# libvirtd stopped: every scrape answers within the timeout (2 s) and a margin; libvirt says why.
kill -STOP "$LIBVIRTD_PID"
for i in 1 2; do
  t0=$(date +%s.%N)
  scrape >"$WORK/stopped$i" || fail "a scrape failed while libvirtd was stopped"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 3.5) }' ||
    fail "a scrape took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s while libvirtd was stopped"
  expect_value 'virtnet_scrape_collector_success{collector="libvirt"}' 0 "$WORK/stopped$i"
  expect_value 'virtnet_scrape_collector_success{collector="sockstat"}' 1 "$WORK/stopped$i"
  grep -q '^virtnet_sockstat_' "$WORK/stopped$i" || fail "sockstat's series are gone while libvirtd is stopped"
  # The last good data, served with its age (in the scraper's result age too).
  expect_value "virtnet_libvirt_disk_backing_missing{$A,disk=\"vda\"}" 1 "$WORK/stopped$i"
  awk -v a="$(value 'virtnet_scrape_collector_result_age_seconds{collector="libvirt"}' "$WORK/stopped$i")" \
    'BEGIN { exit !(a >= 1.5) }' || fail "the served data's age is not in the result age: $(grep result_age "$WORK/stopped$i")"
done
grep -q 'collector=libvirt err="libvirt: virConnectGetAllDomainStats has not returned' "$WORK/exporter.log" ||
  fail "the reason is not logged: $(grep libvirt "$WORK/exporter.log" | tail -3)"
curl -sf "http://127.0.0.1:$PORT/" | grep -q 'has not returned' || fail "the landing page does not say why"
kill -CONT "$LIBVIRTD_PID"
ok() { scrape >"$WORK/back" && [[ $(value 'virtnet_scrape_collector_success{collector="libvirt"}' "$WORK/back") == 1 ]]; }
wait_for "libvirt back after SIGCONT" ok
connects=$(value virtnet_libvirt_connects_total "$WORK/back")

# libvirtd killed and started again: reconnected, the running domain still there.
kill -KILL "$LIBVIRTD_PID"
scrape >"$WORK/down"
expect_value 'virtnet_scrape_collector_success{collector="libvirt"}' 0 "$WORK/down"
"${LIBVIRTD[@]}"
LIBVIRTD_PID=""
for _ in $(seq 150); do ok && break; sleep 0.1; done
ok || fail "libvirt did not come back after libvirtd restarted: $(grep libvirt "$WORK/exporter.log" | tail -3)"
LIBVIRTD_PID=$(libvirtd_pid)
[[ $(value virtnet_libvirt_connects_total "$WORK/back") -gt $connects ]] || fail "no reconnection counted"
expect_value "virtnet_libvirt_domain_state{$A,state=\"running\",reason=\"booted\"}" 1 "$WORK/back"
check_metrics "$WORK/back"

# A user outside the socket's group (--run-as nobody): refused, and told which group it needs;
# the console collector counts the folder it cannot list.
chmod 755 "$WORK"
mkdir -p "$WORK/locked/x"
chmod 700 "$WORK/locked"
start_exporter "$EXPORTER" --run-as nobody --collector.disable-defaults --collector.libvirt \
  --collector.console --collector.console.globs="$WORK/locked/*/console.log"
for _ in $(seq 30); do
  scrape >"$WORK/nobody"
  grep -q '^virtnet_libvirt_connected 0' "$WORK/nobody" && break
  sleep 0.1
done
expect_value 'virtnet_scrape_collector_success{collector="libvirt"}' 0 "$WORK/nobody"
expect_value 'virtnet_console_errors_total{reason="glob"}' 1 "$WORK/nobody"
grep -q "needs the socket's group 'libvirt'" "$WORK/exporter.log" ||
  fail "the refusal does not name the group: $(grep 'cannot connect' "$WORK/exporter.log" | tail -1)"
calls=$(grep '^virtnet_libvirt_calls_total' "$WORK/back" | tr '\n' ' ')
echo "libvirt: userspace tap, console +1 MiB, both bases missing, transient domain gone; stopped" \
  "daemon: scrapes within 3.5 s; back after SIGCONT and a restart; outside the socket's group:" \
  "refused, the group named; $calls"
