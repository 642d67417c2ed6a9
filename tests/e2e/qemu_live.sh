#!/usr/bin/env bash
# A real qemu (-smp 2, an iothread, a tap netdev with vhost=off, in a namespace of the test's
# own) running a one-instruction boot sector that spins (jmp $): the collector finds its thread
# classes, flags the tap as served in userspace, and sees the vCPU seconds grow.
# TCG, not KVM: on this machine (itself a VM) a spinning KVM vCPU thread is charged no CPU time
# (0 ticks after 3 s, measured), so growth could not be seen; the class names differ only in
# the /KVM or /TCG suffix, which the parser tests cover.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root for a tap in a network namespace"
command -v qemu-system-x86_64 >/dev/null ||
  fail "qemu-system-x86_64 missing (scripts/deps.sh --test installs qemu-system-x86)"
NS=vt-qemu-$$
D=vt-spin-$$
ip netns add "$NS" || skip "cannot create a network namespace here"
CLEANUPS+=("ip netns del $NS")
ip -n "$NS" tuntap add qtap0 mode tap
{ printf '\xeb\xfe'; head -c 508 /dev/zero; printf '\x55\xaa'; } >"$WORK/spin.img"
ip netns exec "$NS" qemu-system-x86_64 -name "guest=$D,debug-threads=on" -machine pc,accel=tcg \
  -smp 2 -m 64 -display none -nodefaults -object iothread,id=io1 \
  -drive "file=$WORK/spin.img,format=raw,if=ide" \
  -netdev tap,id=n0,ifname=qtap0,script=no,downscript=no,vhost=off \
  -device virtio-net-pci,netdev=n0 -daemonize -pidfile "$WORK/qemu.pid" 2>"$WORK/qemu.err" ||
  fail "qemu did not start: $(cat "$WORK/qemu.err")"
QPID=$(cat "$WORK/qemu.pid")
CLEANUPS+=("kill $QPID")

start_exporter "$EXPORTER" --collector.disable-defaults --collector.qemu --collector.qemu.per-vcpu
sleep 1
scrape >"$WORK/m1"
sleep 2
scrape >"$WORK/m2"
expect_value 'virtnet_scrape_collector_success{collector="qemu"}' 1 "$WORK/m2"
expect_value "virtnet_qemu_threads{domain=\"$D\",class=\"vcpu\"}" 2 "$WORK/m2"
expect_value "virtnet_qemu_threads{domain=\"$D\",class=\"iothread\"}" 1 "$WORK/m2"
expect_value "virtnet_qemu_threads{domain=\"$D\",class=\"main\"}" 1 "$WORK/m2"
expect_value "virtnet_qemu_netdev_vhost{domain=\"$D\",netdev=\"n0\"}" 0 "$WORK/m2"
grep -q "^virtnet_qemu_netdev_info{domain=\"$D\",netdev=\"n0\",type=\"tap\"} 1" "$WORK/m2" ||
  fail "no netdev_info for n0"
grep -q "^virtnet_qemu_vm_info{domain=\"$D\",uuid=\"\",pid=\"$QPID\"} 1" "$WORK/m2" ||
  fail "vm_info: $(grep vm_info "$WORK/m2")"
vcpu_seconds() {
  awk -v d="$D" 'index($0, "virtnet_qemu_cpu_seconds_total{domain=\"" d "\",class=\"vcpu\"") == 1 { s += $2 } END { print s + 0 }' "$1"
}
a=$(vcpu_seconds "$WORK/m1")
b=$(vcpu_seconds "$WORK/m2")
awk -v a="$a" -v b="$b" 'BEGIN { exit !(b - a >= 1.0) }' ||
  fail "vCPU seconds did not grow while the guest spun: $a -> $b"
grep -q "^virtnet_qemu_vcpu_cpu_seconds_total{domain=\"$D\",vcpu=\"1\",mode=\"user\"}" "$WORK/m2" ||
  fail "no per-vCPU series with per-vcpu on"
series=$(grep -c "domain=\"$D\"" "$WORK/m2")
check_metrics "$WORK/m2"
echo "qemu_live: 2 vCPUs, an iothread, the main loop; tap n0 in userspace (vhost 0);" \
  "vCPU seconds $a -> $b over 2 s; $series series for the VM with per-vCPU on; promtool clean"

# diagnose names the userspace tap: the domain and the netdev, with the next thing to check.
rc=0
"$EXPORTER" diagnose --watch 1s --collector.disable-defaults --collector.qemu --output json \
  >"$WORK/diag.json" 2>"$WORK/diag.err" || rc=$?
[[ $rc -eq 1 ]] || fail "diagnose on a userspace tap: exit $rc, want 1 ($(cat "$WORK/diag.err"))"
/usr/bin/python3 - "$WORK/diag.json" "$D" <<'PY' || fail "diagnose JSON: $(cat "$WORK/diag.json")"
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
hit = [x for x in f if x["alert"] == "VirtnetQemuNetdevUserspace"]
assert [x["culprit"] for x in hit] == [{"domain": sys.argv[2], "netdev": "n0"}], hit
assert "/dev/vhost-net" in hit[0]["next_check"], hit[0]
PY
echo "diagnose: the userspace tap found (exit 1), domain $D netdev n0"
