#!/usr/bin/env bash
# What the libvirt and console collectors cost, side by side with Debian's
# prometheus-libvirt-exporter (0.2.0, --libvirt.export-nova-metadata) in the same run: N paused
# TCG domains of 32 MiB (a qcow2 overlay over a shared raw base, a tap, a file console, Nova's
# metadata) under a libvirtd the script starts itself (tests/e2e/lib_libvirt.sh), for each N.
# For each exporter: CPU per scrape (its own and libvirtd's, from /proc), mean latency, RSS and
# series over SCRAPES scrapes; our libvirt calls per scrape; then the latency of a scrape with
# libvirtd stopped (SIGSTOP), each capped at 30 s. Needs root, and no libvirtd running.
#   bash bench/libvirt.sh [N... (10 50)] ; SCRAPES=20 PAUSE=0.5 BUILD=build-release
set -euo pipefail
cd "$(dirname "$0")/.."
SCRAPES=${SCRAPES:-20} BUILD=${BUILD:-build-release}
NS=("$@")
[[ ${#NS[@]} -gt 0 ]] || NS=(10 50)
bash scripts/deps.sh --test >/dev/null
bash scripts/deps.sh --bench >/dev/null
if [[ $BUILD == build-release ]]; then
  cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-release -j"$(nproc)" --target virtnet_exporter >/dev/null
fi
export BUILD_DIR=$PWD/$BUILD SRC_DIR=$PWD
# shellcheck source=../tests/e2e/lib.sh
source tests/e2e/lib.sh
# shellcheck source=../tests/e2e/lib_libvirt.sh
source tests/e2e/lib_libvirt.sh
libvirt_up
DOMTYPE=qemu  # TCG, as the anchor's figures were taken
HZ=$(getconf CLK_TCK)
qemu-img create -q -f raw "$WORK/base" 16M
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# measure PID URL: prints "cpu_ms libvirtd_ms latency_ms rss_mib series": CPU per scrape, the
# exporter's and libvirtd's (less libvirtd's own idle CPU over as long), mean latency. Scrapes are
# PAUSE s apart, as Prometheus' are further: a scrape within 200 ms of the last would be served
# the same libvirt snapshot (two collectors of one scrape share one), which is not what is measured.
PAUSE=${PAUSE:-0.5}
idle_libvirtd() {  # ticks libvirtd takes alone in SCRAPES pauses
  local l0
  l0=$(ticks "$LIBVIRTD_PID")
  sleep "$(awk -v n="$SCRAPES" -v p="$PAUSE" 'BEGIN { print n * p }')"
  echo $(($(ticks "$LIBVIRTD_PID") - l0))
}
measure() {
  local pid=$1 url=$2 c0 l0 c1 l1 lat series idle
  curl -sf -o /dev/null "$url"  # warm: connections made, XML read
  sleep "$PAUSE"
  idle=$(idle_libvirtd)
  c0=$(ticks "$pid") l0=$(ticks "$LIBVIRTD_PID")
  lat=$(for _ in $(seq "$SCRAPES"); do
    curl -sf -o "$WORK/out" -w '%{time_total}\n' "$url"
    sleep "$PAUSE"
  done | awk '{ t += $1 } END { printf "%.1f", t / NR * 1000 }')
  c1=$(ticks "$pid") l1=$(ticks "$LIBVIRTD_PID")
  series=$(grep -vc '^#' "$WORK/out")
  awk -v c="$((c1 - c0))" -v l="$((l1 - l0 - idle))" -v n="$SCRAPES" -v hz="$HZ" -v lat="$lat" \
    -v r="$(rss_mib "$pid")" -v s="$series" \
    'BEGIN { if (l < 0) l = 0; printf "%.2f %.2f %s %s %d\n", c / hz / n * 1000, l / hz / n * 1000, lat, r, s }'
}
hung_latency() {  # URL: seconds for one scrape with libvirtd stopped (30 s at most)
  local t0 t1
  t0=$(date +%s%N)
  curl -s -m 30 -o /dev/null "$1" || true
  t1=$(date +%s%N)
  awk -v t="$((t1 - t0))" 'BEGIN { printf "%.2f", t / 1e9 }'
}

made=0
printf '%-4s %-10s %10s %14s %11s %8s %7s %13s\n' N exporter "cpu/scrape" "libvirtd/scrape" latency RSS series "calls/scrape"
for N in "${NS[@]}"; do
  for ((i = made; i < N; i++)); do
    d=vt-bench-$i
    qemu-img create -q -f qcow2 -b "$WORK/base" -F raw "$WORK/$d.qcow2"
    make_tap "vt-bt$i"
    uuid=$(printf '00000000-0000-4000-8000-%012d' "$i")
    domain_xml "$d" "$WORK/$d.qcow2" "vt-bt$i" "$WORK/$d.log" "" \
      "<uuid>$uuid</uuid><metadata><nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'><nova:name>bench-$i</nova:name><nova:flavor name='m1.tiny'/></nova:instance></metadata>" >"$WORK/$d.xml"
    DOMAINS+=("$d")
    "${VIRSH[@]}" define "$WORK/$d.xml" >/dev/null
    "${VIRSH[@]}" start --paused "$d" >/dev/null
  done
  made=$N
  OURS=$(free_port) THEIRS=$(free_port)
  "$BUILD_DIR/virtnet_exporter" --web.listen-address="127.0.0.1:$OURS" --collector.disable-defaults \
    --collector.libvirt --collector.console >"$WORK/ours.log" 2>&1 &
  OURS_PID=$!
  PIDS+=("$OURS_PID")
  prometheus-libvirt-exporter --web.listen-address="127.0.0.1:$THEIRS" --libvirt.export-nova-metadata \
    >"$WORK/theirs.log" 2>&1 &
  THEIRS_PID=$!
  PIDS+=("$THEIRS_PID")
  for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$OURS/-/ready" && curl -sf -o /dev/null "http://127.0.0.1:$THEIRS/metrics" && break
    sleep 0.1
  done
  calls0=$(curl -s "http://127.0.0.1:$OURS/metrics" | awk '/^virtnet_libvirt_calls_total/ { s += $2 } END { print s }')
  read -r oc ol olat orss oser < <(measure "$OURS_PID" "http://127.0.0.1:$OURS/metrics")
  curl -s "http://127.0.0.1:$OURS/metrics" >"$WORK/ours.metrics"
  calls1=$(awk '/^virtnet_libvirt_calls_total/ { s += $2 } END { print s }' "$WORK/ours.metrics")
  grep -E '^virtnet_libvirt_(calls_total|events_total)|^virtnet_scrape_collector_duration_seconds' "$WORK/ours.metrics" >&2
  read -r tc tl tlat trss tser < <(measure "$THEIRS_PID" "http://127.0.0.1:$THEIRS/metrics")
  cps=$(awk -v a="$calls0" -v b="$calls1" -v n="$((SCRAPES + 1))" 'BEGIN { printf "%.2f", (b - a) / n }')
  printf '%-4s %-10s %8s ms %11s ms %8s ms %5s MiB %7s %13s\n' "$N" virtnet "$oc" "$ol" "$olat" "$orss" "$oser" "$cps"
  printf '%-4s %-10s %8s ms %11s ms %8s ms %5s MiB %7s %13s\n' "$N" libvirt_exp "$tc" "$tl" "$tlat" "$trss" "$tser" "-"
  awk -v a="$oc" -v b="$tc" -v x="$ol" -v y="$tl" 'BEGIN { printf "     ratio: CPU per scrape %.3f, libvirtd CPU per scrape %.3f\n", a / b, (y > 0 ? x / y : 0) }'
  kill -STOP "$LIBVIRTD_PID"
  h1=$(hung_latency "http://127.0.0.1:$OURS/metrics")
  h2=$(hung_latency "http://127.0.0.1:$THEIRS/metrics")
  kill -CONT "$LIBVIRTD_PID"
  echo "     libvirtd stopped: a scrape took ${h1} s (virtnet) against ${h2} s (prometheus-libvirt-exporter, capped at 30)"
  kill "$OURS_PID" "$THEIRS_PID"
  wait "$OURS_PID" "$THEIRS_PID" 2>/dev/null || true
  sleep 2  # the anchor's libvirt calls blocked meanwhile drain
done
