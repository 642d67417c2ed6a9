#!/usr/bin/env bash
# The .deb: built by CPack from this build, unpacked into a scratch root, its postinst run (the
# system user), then the exporter started as the unit would (its User, its capabilities, no new
# privileges, ARGS from /etc/default with the shipped compute-node config) and scraped.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root to create the system user and switch to it"
command -v cpack >/dev/null || fail "cpack missing"
cpack -G DEB -B "$WORK/pkg" --config "$BUILD_DIR/CPackConfig.cmake" >"$WORK/cpack.log" 2>&1 ||
  fail "cpack: $(tail -5 "$WORK/cpack.log")"
DEB=$(ls "$WORK"/pkg/virtnet-exporter_*_amd64.deb)
dpkg-deb -c "$DEB" | awk '{print $6}' >"$WORK/files"
for f in usr/bin/virtnet_exporter usr/lib/systemd/system/virtnet-exporter.service \
  etc/default/virtnet-exporter etc/virtnet-exporter/compute-node.yml \
  etc/virtnet-exporter/network-node.yml usr/share/man/man1/virtnet_exporter.1.gz \
  usr/share/virtnet-exporter/alerts/virtnet.rules.yml \
  usr/share/virtnet-exporter/dashboards/virtnet-overview.json \
  usr/share/doc/virtnet-exporter/examples/web-config.yml \
  usr/share/doc/virtnet-exporter/runbooks/VirtnetQemuNetdevUserspace.md; do
  grep -qx "./$f" "$WORK/files" || fail "the .deb lacks /$f"
done
dpkg-deb -f "$DEB" Depends | grep libmicrohttpd | grep -q libpcap0.8 || fail "Depends not computed: $(dpkg-deb -f "$DEB" Depends)"
R="$WORK/root"
dpkg-deb -x "$DEB" "$R"
dpkg-deb -e "$DEB" "$WORK/control"
grep -qx /etc/virtnet-exporter/compute-node.yml "$WORK/control/conffiles" || fail "configs are not conffiles"
echo "package: $(basename "$DEB"), $(wc -l <"$WORK/files") entries, Depends computed, conffiles"

# The shipped files check: both node configs and the rules, with the packaged binary.
for c in compute-node network-node; do
  "$R/usr/bin/virtnet_exporter" --config.check --config.file="$R/etc/virtnet-exporter/$c.yml" \
    >/dev/null || fail "$c.yml refused"
done
promtool check rules "$R/usr/share/virtnet-exporter/alerts/virtnet.rules.yml" >/dev/null ||
  fail "packaged rules"
if command -v systemd-analyze >/dev/null; then
  # Only the unit's own syntax: the binary and man page it names are in the scratch root.
  systemd-analyze verify "$R/usr/lib/systemd/system/virtnet-exporter.service" 2>&1 |
    grep -v 'is not executable\|man virtnet_exporter\|Failed to prepare filename' >"$WORK/verify" || true
  [[ ! -s "$WORK/verify" ]] || fail "systemd-analyze verify: $(cat "$WORK/verify")"
fi

# postinst creates the user (and, with no systemd running here, starts nothing).
had_user=0
getent passwd virtnet-exporter >/dev/null && had_user=1
[[ $had_user -eq 1 ]] || CLEANUPS+=("userdel virtnet-exporter")
sh "$WORK/control/postinst" configure || fail "postinst failed"
getent passwd virtnet-exporter >/dev/null || fail "postinst made no user"

# Start as the unit says: User=, AmbientCapabilities=, NoNewPrivileges=, ARGS.
UNIT="$R/usr/lib/systemd/system/virtnet-exporter.service"
user=$(sed -n 's/^User=//p' "$UNIT")
caps=$(sed -n 's/^AmbientCapabilities=//p' "$UNIT" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
grep -qx 'NoNewPrivileges=yes' "$UNIT" || fail "unit without NoNewPrivileges"
# shellcheck disable=SC1090,SC1091  # the packaged /etc/default file
ARGS=$(. "$R/etc/default/virtnet-exporter" && echo "$ARGS")
ARGS=${ARGS//\/etc\//$R/etc/}
chmod o+rx "$WORK"
start_leaker
# shellcheck disable=SC2086  # ARGS is split into words, as systemd does
WRAP="setpriv --reuid=$user --regid=$user --init-groups --inh-caps=$caps --ambient-caps=$caps \
--bounding-set=-all,$caps --no-new-privs" start_exporter "$R/usr/bin/virtnet_exporter" $ARGS
scrape >"$WORK/m"
[[ $(awk '/^Uid:/ {print $2}' "/proc/$EXPORTER_PID/status") == $(id -u "$user") ]] || fail "not running as $user"
for c in sockstat process links qemu; do
  expect_value "virtnet_scrape_collector_success{collector=\"$c\"}" 1 "$WORK/m"
done
[[ $(value "virtnet_process_open_fds{$L}" "$WORK/m") != absent ]] || fail "a root process's fds unseen as $user"
check_metrics "$WORK/m"
echo "package: started as the unit would ($user, $caps, no new privileges, $ARGS): every collector up"
