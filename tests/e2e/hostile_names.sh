#!/usr/bin/env bash
# Names chosen by someone else reach labels only valid and bounded. An unprivileged process that
# renames itself to bytes that are not UTF-8 and reserves 16 TiB of address space (so it tops
# virtnet_process_top_mapped_bytes), a comm cut mid-character, a qemu whose -name is not UTF-8,
# and 20 qemu with a 131 KB -name: a real Prometheus keeps scraping the target with no error,
# promtool finds nothing, the scrape stays small and the exporter's memory bounded.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root to start processes as another user (setpriv)"
command -v prometheus >/dev/null || fail "prometheus not installed (scripts/deps.sh --test installs it)"
command -v promtool >/dev/null || fail "promtool not installed"

# prctl(PR_SET_NAME) to x\xff, then a 16 TiB PROT_NONE reservation: the reproduction of the issue.
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import ctypes, time
l = ctypes.CDLL(None)
l.prctl(15, b"x\xff", 0, 0, 0)
l.mmap.restype = ctypes.c_void_p
l.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
l.mmap(None, 1 << 44, 0, 0x4022, -1, 0)
time.sleep(120)' &
PIDS+=($!)
# A non-ASCII name the kernel cuts at 15 bytes, in the middle of a character; 8 TiB reserved.
/usr/bin/python3 -c '
import ctypes, time
l = ctypes.CDLL(None)
l.prctl(15, "qemu-é-ééééééééé".encode(), 0, 0, 0)
l.mmap.restype = ctypes.c_void_p
l.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
l.mmap(None, 1 << 43, 0, 0x4022, -1, 0)
time.sleep(120)' &
PIDS+=($!)
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
sleep 0.5

start_exporter "$EXPORTER"
rss_before=$(awk '/^VmRSS/ {print $2}' "/proc/$EXPORTER_PID/status")
scrape >"$WORK/m"
grep -q $'^virtnet_process_top_mapped_bytes{.*comm="x\xef\xbf\xbd"' "$WORK/m" ||
  fail "the renamed process is not in the top-N with U+FFFD: $(grep top_mapped "$WORK/m" | head -3)"
grep -q $'^virtnet_process_open_fds{.*domain="vm\xef\xbf\xbd\xef\xbf\xbd"' "$WORK/m" ||
  fail "the qemu with a non-UTF-8 -name is missing"
n_long=$(grep -c '^virtnet_process_open_fds{.*domain="vvvv.*…"' "$WORK/m" || true)
[[ $n_long -eq 20 ]] || fail "want 20 qemu with a truncated domain, got $n_long"
out=$(promtool check metrics <"$WORK/m" 2>&1) || fail "promtool: $out"
[[ -z "$out" ]] || fail "promtool reported: $out"
size=$(stat -c %s "$WORK/m")
[[ $size -lt 1000000 ]] || fail "scrape of $size bytes (the names were 20 x 131 KB)"
echo "scrape: $size bytes, promtool clean, 20 long domains capped"

# A real Prometheus scrapes the target every second: it must stay up with no error.
start_prometheus "  - job_name: virtnet
    static_configs: [{targets: ['127.0.0.1:$PORT']}]"
prometheus_scrapes_up 3
curl -sf "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode \
  'query=count(virtnet_process_top_mapped_bytes{comm=~"x.+"})' >"$WORK/q.json"
grep -q '"value":\[[0-9.]*,"1"\]' "$WORK/q.json" || fail "Prometheus has no series for it: $(cat "$WORK/q.json")"
echo "Prometheus: 3 scrapes up with no error; the renamed process is stored"

for i in $(seq 10); do scrape >/dev/null; done
rss_during=$(awk '/^VmRSS/ {print $2}' "/proc/$EXPORTER_PID/status")
# The hostile processes go (the exporter's own process and Prometheus stay).
for p in "${PIDS[@]:0:23}"; do kill "$p" 2>/dev/null || true; done
sleep 0.5
for i in $(seq 5); do scrape >/dev/null; done
rss_after=$(awk '/^VmRSS/ {print $2}' "/proc/$EXPORTER_PID/status")
echo "exporter RSS: ${rss_before} KiB at start, ${rss_during} KiB with the names, ${rss_after} KiB after"
[[ $rss_during -lt 20480 ]] || fail "RSS ${rss_during} KiB with the long names (bound 20 MiB)"
echo "hostile_names: all valid, bounded and scraped"
