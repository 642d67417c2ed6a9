#!/usr/bin/env bash
# The real binary against the fixture /proc, scraped over HTTP, diffed against the golden file.
# Lines that depend on the live machine keep their names but lose their values.
# Regenerate with: BUILD_DIR=build SRC_DIR=. bash tests/e2e/golden.sh --update
source "$(dirname "$0")/lib.sh"
GOLDEN="$SRC_DIR/tests/golden/fixture.metrics"

# The fixture root: the /proc files of tests/fixtures/proc and the real /proc/PID trees of
# tests/fixtures/proc-pids.tar.gz (a qemu, keepalived, haproxy with 10,000 fds, ovs-vswitchd
# with 5,000 mappings, a hostile comm, a zombie, kthreadd).
cp -r "$SRC_DIR/tests/fixtures/proc" "$WORK/proc"
tar -xzf "$SRC_DIR/tests/fixtures/proc-pids.tar.gz" -C "$WORK/proc"
# links reads the live kernel over netlink: its golden file is links_netns's.
start_exporter "$EXPORTER" --path.procfs="$WORK/proc" \
  --path.sysfs="$SRC_DIR/tests/fixtures/sys" --path.rootfs="$SRC_DIR/tests/fixtures/root" \
  --no-collector.links
scrape >"$WORK/raw"

# sock_diag reads the live kernel (no fixture can stand in for netlink in a real run), the
# process_* and durations describe this run, and build_info names this build.
sed -E \
  -e 's/^(virtnet_sockstat_tcp_sockets\{[^}]*\}) .*/\1 <live>/' \
  -e 's/^(virtnet_scrape_collector_duration_seconds\{[^}]*\}) .*/\1 <duration>/' \
  -e 's/^(virtnet_scrape_collector_result_age_seconds\{[^}]*\}) .*/\1 <age>/' \
  -e 's/^(process_[a-z_]+) .*/\1 <self>/' \
  -e 's/^virtnet_exporter_build_info\{.*\} 1$/virtnet_exporter_build_info{<build>} 1/' \
  "$WORK/raw" >"$WORK/normalized"

if [[ "${1:-}" == "--update" ]]; then
  cp "$WORK/normalized" "$GOLDEN"
  echo "updated $GOLDEN"
  exit 0
fi
diff -u "$GOLDEN" "$WORK/normalized" || fail "output differs from $GOLDEN (run with --update if intended)"
echo "golden: $(wc -l <"$GOLDEN") lines match"
