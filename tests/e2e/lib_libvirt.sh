# Sourced after lib.sh: a real libvirtd (Debian's, system mode) started by the test itself, as
# ../shared/FIELD-NOTES.md describes: the libvirt-qemu user and group and a kvm group if missing,
# /etc/libvirt/qemu.conf running qemu as root without a security driver (the one written before
# is put back at the end), virtlogd and libvirtd started by hand, stopped at the end with every
# domain the test made. qemu runs with KVM where /dev/kvm works, TCG otherwise.
# libvirt_up: sets VIRSH (the command), LIBVIRTD (how to start it again), DOMTYPE (kvm or qemu),
# LIBVIRTD_PID.
[[ $(id -u) -eq 0 ]] || skip "needs root to run libvirtd in system mode"
command -v libvirtd >/dev/null || fail "libvirtd not installed (bash scripts/deps.sh --test)"
VIRSH=(virsh -q -c qemu:///system)
DOMAINS=()

libvirtd_pid() { pgrep -x libvirtd | head -1; }

libvirt_up() {
  if pgrep -x libvirtd >/dev/null; then
    fail "a libvirtd runs already: this test stops and kills its own; stop that one first"
  fi
  CLEANUPS+=("libvirt_down")  # first: the domains go before what they use
  getent group kvm >/dev/null || groupadd -r kvm
  getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
  getent group libvirt >/dev/null || groupadd -r libvirt
  id libvirt-qemu >/dev/null 2>&1 ||
    useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
  mkdir -p /var/log/libvirt /var/lib/libvirt/qemu /var/cache/libvirt /etc/libvirt
  local conf=/etc/libvirt/qemu.conf
  if [[ -e $conf ]]; then
    cp -p "$conf" "$WORK/qemu.conf.saved"
    CLEANUPS+=("cp -p '$WORK/qemu.conf.saved' '$conf'")
  else
    CLEANUPS+=("rm -f '$conf'")
  fi
  printf 'user = "root"\ngroup = "root"\ndynamic_ownership = 0\nsecurity_driver = "none"\n' >"$conf"
  if ! pgrep -x virtlogd >/dev/null; then
    virtlogd --daemon
    CLEANUPS+=("pkill -x virtlogd")
  fi
  # Debian's packaged libvirtd.conf has the socket root:libvirt 0770; this test's says so too,
  # without polkit (not running here), so that a user outside the group is refused by the socket.
  printf 'unix_sock_group = "libvirt"\nunix_sock_rw_perms = "0770"\nauth_unix_rw = "none"\nauth_unix_ro = "none"\n' \
    >"$WORK/libvirtd.conf"
  LIBVIRTD=(libvirtd --daemon -f "$WORK/libvirtd.conf")
  "${LIBVIRTD[@]}"
  local i
  for i in $(seq 100); do
    "${VIRSH[@]}" version >/dev/null 2>&1 && break
    sleep 0.1
  done
  "${VIRSH[@]}" version >/dev/null 2>&1 || fail "libvirtd did not answer in 10 s"
  LIBVIRTD_PID=$(libvirtd_pid)
  DOMTYPE=qemu
  if [[ -r /dev/kvm && -w /dev/kvm ]] && grep -qw kvm <("${VIRSH[@]}" domcapabilities --virttype kvm 2>/dev/null | grep -o '<domain>kvm'); then
    DOMTYPE=kvm
  fi
}

libvirt_down() {
  local d
  for d in "${DOMAINS[@]}"; do
    "${VIRSH[@]}" destroy "$d" >/dev/null 2>&1 || true
    "${VIRSH[@]}" undefine "$d" >/dev/null 2>&1 || true
  done
  local p
  p=$(libvirtd_pid || true)
  [[ -n $p ]] && kill -CONT "$p" 2>/dev/null && kill "$p" 2>/dev/null
  for _ in $(seq 50); do pgrep -x libvirtd >/dev/null || break; sleep 0.1; done
  pkill -KILL -x libvirtd 2>/dev/null || true
}

# domain_xml NAME DISK TAP CONSOLE [EXTRA_INTERFACE_XML] [METADATA_XML]: a 32 MiB, 1-vCPU domain
# with one virtio disk, one ethernet interface on TAP (made beforehand) and a file console.
domain_xml() {
  cat <<XML
<domain type='$DOMTYPE'>
  <name>$1</name>
  ${6:-}
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='ethernet'>
      <target dev='$3' managed='no'/>
      <model type='virtio'/>
      ${5:-}
    </interface>
    <serial type='file'><source path='$4'/></serial>
    <console type='file'><source path='$4'/><target type='serial'/></console>
  </devices>
</domain>
XML
}

make_tap() {
  ip tuntap add "$1" mode tap
  CLEANUPS+=("ip link del '$1'")
}
