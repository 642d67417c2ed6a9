#!/usr/bin/env bash
# The capture threads at rest: with no frame to read, the vrrp and bpdu threads sleep in their
# poll and do not wake (no timeout of their own), while their state stays current
# (virtnet_background_last_update_age_seconds near 0, not growing with the quiet). A frame wakes
# only the thread whose kernel filter passes it: BPDUs wake the bpdu thread, never the vrrp one.
# Wake-ups are counted, not timed: the threads' voluntary context switches in /proc. And libpcap,
# which compiles their filters, is not kept loaded.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root to create network namespaces and taps"
N=vt-idle-$$
ip netns add "$N" || skip "cannot create a network namespace here"
CLEANUPS+=("ip netns del $N")
in_n() { ip -n "$N" "$@"; }
in_n link set lo up
in_n link add br0 type bridge stp_state 0
in_n tuntap add tapinst1 mode tap
in_n link add uplink0 type veth peer name switch0
for l in tapinst1 uplink0; do in_n link set "$l" master br0; done
for l in br0 tapinst1 uplink0 switch0; do in_n link set "$l" up; done
NETNS=$N start_exporter "$EXPORTER" --collector.disable-defaults --collector.vrrp --collector.bpdu

# switches THREAD: the thread's voluntary context switches (each a wake-up after a sleep).
switches() {
  local t
  for t in /proc/"$EXPORTER_PID"/task/*; do
    if [[ $(<"$t/comm") == "$1" ]]; then
      awk '/^voluntary_ctxt_switches/ { print $2 }' "$t/status"
      return
    fi
  done
  fail "no thread $1 in the exporter"
}
wait_for "the capture threads started" switches vt-bpdu
# libpcap compiled the captures' filters and was closed: its 1 MiB is not carried at rest.
if grep -q libpcap "/proc/$EXPORTER_PID/maps"; then fail "libpcap is still loaded after the filters were compiled"; fi
sleep 1  # past start-up: the sockets opened, the first frames of the links coming up read
vrrp0=$(switches vt-vrrp)
bpdu0=$(switches vt-bpdu)
sleep 3
vrrp1=$(switches vt-vrrp)
bpdu1=$(switches vt-bpdu)
echo "over 3 s without a frame: vt-vrrp woke $((vrrp1 - vrrp0)) times, vt-bpdu $((bpdu1 - bpdu0))"
[[ $vrrp1 -eq $vrrp0 ]] || fail "the vrrp capture thread woke $((vrrp1 - vrrp0)) times with nothing to read"
[[ $bpdu1 -eq $bpdu0 ]] || fail "the bpdu capture thread woke $((bpdu1 - bpdu0)) times with nothing to read"

NETNS=$N scrape >"$WORK/m"
check_metrics "$WORK/m"
for s in 'collector="vrrp",table="sources"' 'collector="bpdu",table="interfaces"'; do
  age=$(value "virtnet_background_last_update_age_seconds{$s}" "$WORK/m")
  awk -v a="$age" 'BEGIN { exit !(a != "absent" && a < 1) }' ||
    fail "a waiting capture thread's state reads as $age s old ($s)"
done

ip netns exec "$N" /usr/bin/python3 "$SRC_DIR/tests/support/bpdu_send.py" tapinst1 2
sleep 0.3
NETNS=$N scrape >"$WORK/m"
expect_value 'virtnet_bpdu_frames_total{interface="tapinst1",direction="received",kind="stp"}' 2 "$WORK/m"
vrrp2=$(switches vt-vrrp)
bpdu2=$(switches vt-bpdu)
echo "two BPDUs: vt-bpdu woke $((bpdu2 - bpdu1)) times, vt-vrrp $((vrrp2 - vrrp1))"
[[ $bpdu2 -gt $bpdu1 ]] || fail "the bpdu capture thread counted frames without waking"
[[ $vrrp2 -eq $vrrp1 ]] || fail "BPDUs woke the vrrp capture thread (its filter passes only VRRP)"
echo "PASS"
