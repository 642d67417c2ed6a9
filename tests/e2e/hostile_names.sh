#!/usr/bin/env bash
# Names chosen by someone else reach labels valid, bounded and apart. Processes that rename
# themselves to names that differ only in bytes that are not UTF-8 (x\xff, x\xfe) and reserve
# terabytes (so they top virtnet_process_top_mapped_bytes), a comm cut mid-character, a qemu whose
# -name is not UTF-8, 20 qemu with a 131 KB -name, and interfaces named tap\xc3, tap\xfe, tap\xfd
# in a namespace of the test's own: no series twice, each name read back from its label, promtool
# clean, a real Prometheus scraping with no error, the scrape small and the memory bounded.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root to start processes as another user (setpriv) and make a namespace"
command -v prometheus >/dev/null || fail "prometheus not installed (scripts/deps.sh --test installs it)"
command -v promtool >/dev/null || fail "promtool not installed"

# prctl(PR_SET_NAME) to NAME, then a PROT_NONE reservation of 2^BITS bytes.
renamed() {  # renamed NAME_AS_PYTHON_BYTES BITS [setpriv args...]
  local name=$1 bits=$2
  shift 2
  "$@" /usr/bin/python3 -c "
import ctypes, time
l = ctypes.CDLL(None)
l.prctl(15, $name, 0, 0, 0)
l.mmap.restype = ctypes.c_void_p
l.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
l.mmap(None, 1 << $bits, 0, 0x4022, -1, 0)
time.sleep(120)" &
  PIDS+=($!)
}
renamed 'b"x\xff"' 44 setpriv --reuid=65534 --regid=65534 --clear-groups
renamed 'b"x\xfe"' 44 setpriv --reuid=65534 --regid=65534 --clear-groups
# A non-ASCII name the kernel cuts at 15 bytes, in the middle of a character.
renamed '"qemu-é-ééééééééé".encode()' 43
renamed_done() {
  local p
  for p in "${PIDS[@]:0:3}"; do [[ $(cat "/proc/$p/comm" 2>/dev/null) != python3 ]] || return 1; done
}
wait_for "the processes to rename themselves" renamed_done
# qemu-like processes: python3 run through a link named like qemu, so the comm is qemu-system-x86
# and the default qemu group reads the domain from -name guest=...
ln -s /usr/bin/python3 "$WORK/qemu-system-x86_64"
"$WORK/qemu-system-x86_64" -c 'import time; time.sleep(120)' -name $'guest=vm\xff\xfe,debug-threads=on' &
PIDS+=($!)
long=$(head -c 131000 /dev/zero | tr '\0' 'v')
for i in $(seq 20); do
  "$WORK/qemu-system-x86_64" -c 'import time; time.sleep(120)' -name "guest=${long}${i},debug-threads=on" &
  PIDS+=($!)
done
# Three taps whose names differ only in an invalid byte (iproute2 refuses such names: TUNSETIFF
# does not), in a named namespace the links collector walks.
NS="virtnet-hn-$$"
ip netns add "$NS" || fail "cannot make a namespace"
CLEANUPS+=("ip netns delete $NS")
ip netns exec "$NS" /usr/bin/python3 -c '
import fcntl, struct
for name in (b"tap\xc3", b"tap\xfe", b"tap\xfd"):
    fd = open("/dev/net/tun", "r+b", buffering=0)
    fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", name, 0x0002 | 0x1000))  # TUNSETIFF, tap
    fcntl.ioctl(fd, 0x400454cb, 1)                                           # TUNSETPERSIST
' || fail "cannot make the taps"
sleep 0.5

start_exporter "$EXPORTER" --collector.links.netns
rss_before=$(awk '/^VmRSS/ {print $2}' "/proc/$EXPORTER_PID/status")
scrape >"$WORK/m"
check_metrics "$WORK/m"  # no series twice among them

# Each name is read back from its label: the exposition's escapes undone, then the repair's.
/usr/bin/python3 - "$WORK/m" "$NS" <<'PY' || fail "a name did not come back from its label"
import re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8")
ns = sys.argv[2]
def unexpose(v):  # the text format's escapes: \\ \" \n
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)
def decode(v):  # the label repair's: \\ and \xHH
    out, i = bytearray(), 0
    while i < len(v):
        if v[i] == "\\" and v[i + 1] == "\\":
            out += b"\\"; i += 2
        elif v[i] == "\\" and v[i + 1] == "x":
            out.append(int(v[i + 2:i + 4], 16)); i += 4
        else:
            out += v[i].encode(); i += 1
    return bytes(out)
def values(metric, label, where=""):
    pat = re.compile(r'^' + metric + r'\{(.*)\} ', re.M)
    for m in pat.finditer(text):
        labels = dict((k, unexpose(v)) for k, v in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(1)))
        if where and labels.get("netns") != where:
            continue
        yield labels[label]
links = {decode(v) for v in values("virtnet_link_mtu_bytes", "link", ns)}
want = {b"tap\xc3", b"tap\xfe", b"tap\xfd"}
assert want <= links, f"links {links} lack {want - links}"
comms = {decode(v) for v in values("virtnet_process_top_mapped_bytes", "comm")}
assert {b"x\xff", b"x\xfe"} <= comms, f"comms {comms}"
assert any(c.startswith(b"qemu-") and c.endswith(b"\xc3") for c in comms), f"the cut comm: {comms}"
def is_cut(v):  # the cut marker as a token, read escape by escape from the left
    i = 0
    while i < len(v):
        if v[i] == "\\":
            if v[i + 1] == "~":
                return True
            i += 2 if v[i + 1] == "\\" else 4
        else:
            i += 1
    return False
domains = {decode(v) for v in values("virtnet_process_open_fds", "domain") if not is_cut(v)}
assert b"vm\xff\xfe" in domains, f"domains {domains}"
cut = [v for v in values("virtnet_process_open_fds", "domain") if v.startswith("vvvv") and is_cut(v)]
assert len(set(cut)) == 20, f"want 20 long domains cut apart, got {len(set(cut))}"
print("names read back: 3 taps, 2 renamed processes, a cut comm, a non-UTF-8 -name; 20 long -names cut apart")
PY
size=$(stat -c %s "$WORK/m")
[[ $size -lt 1000000 ]] || fail "scrape of $size bytes (the names were 20 x 131 KB)"
echo "scrape: $size bytes, promtool and the exposition check clean"

# A real Prometheus scrapes the target every second: it must stay up with no error, and keep a
# series for each of the two renamed processes.
start_prometheus "  - job_name: virtnet
    static_configs: [{targets: ['127.0.0.1:$PORT']}]"
prometheus_scrapes_up 3
# Counted by distinct comm: the pid label alone would keep two series even if the names merged.
curl -sf "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode \
  'query=count(count by (comm) (virtnet_process_top_mapped_bytes{comm=~"x.+"}))' >"$WORK/q.json"
grep -q '"value":\[[0-9.]*,"2"\]' "$WORK/q.json" || fail "Prometheus does not keep both: $(cat "$WORK/q.json")"
curl -sf "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode \
  "query=count(virtnet_link_mtu_bytes{netns=\"$NS\",link=~\"tap.+\"})" >"$WORK/q2.json"
grep -q '"value":\[[0-9.]*,"3"\]' "$WORK/q2.json" || fail "Prometheus does not keep the 3 taps: $(cat "$WORK/q2.json")"
echo "Prometheus: 3 scrapes up with no error; both renamed processes and the 3 taps stored apart"

for i in $(seq 10); do scrape >/dev/null; done
rss_during=$(awk '/^VmRSS/ {print $2}' "/proc/$EXPORTER_PID/status")
# The hostile processes go (the exporter's own process and Prometheus stay).
for p in "${PIDS[@]:0:24}"; do kill "$p" 2>/dev/null || true; done
sleep 0.5
for i in $(seq 5); do scrape >/dev/null; done
rss_after=$(awk '/^VmRSS/ {print $2}' "/proc/$EXPORTER_PID/status")
echo "exporter RSS: ${rss_before} KiB at start, ${rss_during} KiB with the names, ${rss_after} KiB after"
[[ $rss_during -lt 20480 ]] || fail "RSS ${rss_during} KiB with the long names (bound 20 MiB)"
echo "hostile_names: all valid, bounded, apart and scraped"
