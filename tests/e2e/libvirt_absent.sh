#!/usr/bin/env bash
# A host without libvirt (no libvirt socket under --path.rootfs): the libvirt collector reports
# nothing and no error, the console collector still finds the logs by its globs, with the
# instance's uuid from the folder's name, names of odd bytes kept apart, and its cap counted.
source "$(dirname "$0")/lib.sh"
# The default glob, /var/lib/nova/instances/*/console.log, under --path.rootfs.
mkdir -p "$WORK/root/var/lib/nova/instances"
ln -s root/var/lib/nova/instances "$WORK/nova"
U1=aaaaaaaa-0000-4000-8000-000000000001
U2=bbbbbbbb-0000-4000-8000-000000000002
mkdir -p "$WORK/nova/$U1" "$WORK/nova/$U2" "$WORK/nova/odd"$'\xff\n'"dir" "$WORK/nova/odd"$'\xfe\n'"dir"
head -c 4096 /dev/zero >"$WORK/nova/$U1/console.log"
head -c 10 /dev/zero >"$WORK/nova/$U2/console.log"
head -c 1 /dev/zero >"$WORK/nova/odd"$'\xff\n'"dir/console.log"
head -c 2 /dev/zero >"$WORK/nova/odd"$'\xfe\n'"dir/console.log"
start_exporter "$EXPORTER" --collector.disable-defaults --collector.libvirt --collector.console \
  --path.rootfs="$WORK/root"
scrape >"$WORK/m"
check_metrics "$WORK/m"
expect_value 'virtnet_scrape_collector_success{collector="libvirt"}' 1 "$WORK/m"
expect_value 'virtnet_scrape_collector_success{collector="console"}' 1 "$WORK/m"
! grep -q '^virtnet_libvirt_' "$WORK/m" || fail "libvirt reports without a socket: $(grep '^virtnet_libvirt_' "$WORK/m" | head -3)"
! grep -q 'level=warn.*libvirt\|level=error.*libvirt' "$WORK/exporter.log" || fail "libvirt logs an error without a socket"
expect_value "virtnet_console_log_bytes{path=\"/var/lib/nova/instances/$U1/console.log\",domain=\"\",uuid=\"$U1\",managed_by=\"file\"}" 4096 "$WORK/m"
expect_value "virtnet_console_log_bytes{path=\"/var/lib/nova/instances/$U2/console.log\",domain=\"\",uuid=\"$U2\",managed_by=\"file\"}" 10 "$WORK/m"
# Two folders whose names differ only in invalid bytes: two series, each name repaired.
for b in 'xff:1' 'xfe:2'; do
  grep -qxF "virtnet_console_log_bytes{path=\"/var/lib/nova/instances/odd\\\\${b%:*}\\\\x0adir/console.log\",domain=\"\",uuid=\"\",managed_by=\"file\"} ${b#*:}" "$WORK/m" ||
    fail "the odd-named log ${b%:*}: $(grep odd "$WORK/m")"
done
expect_value virtnet_console_logs 4 "$WORK/m"
expect_value virtnet_console_logs_over_cap 0 "$WORK/m"
kill "$EXPORTER_PID"
start_exporter "$EXPORTER" --collector.disable-defaults --collector.console --path.rootfs="$WORK/root" \
  --collector.console.max-files=3
scrape >"$WORK/capped"
expect_value virtnet_console_logs 3 "$WORK/capped"
expect_value virtnet_console_logs_over_cap 1 "$WORK/capped"
grep -q 'more console logs than max_files' "$WORK/exporter.log" || fail "the cap is not logged"
echo "no libvirt socket: libvirt silent, console globs find 4 logs (odd names apart), cap 3 counts 1"
