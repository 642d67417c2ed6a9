#!/usr/bin/env bash
# The process collector without privileges, against root's process: what is refused is counted,
# logged once per process and not tried again (hardened hosts audit every refused open).
source "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || skip "setpriv (util-linux) not found"
[[ $(id -u) -eq 0 ]] || skip "needs root to own the target process and start the exporter as nobody"

# A root "keepalived": per-process series, and fd kinds (so its fd directory is listed).
start_leaker

# The exporter runs as nobody: the target's fd directory and maps are refused.
chmod o+rx "$WORK"
WRAP="setpriv --reuid=nobody --regid=nogroup --clear-groups" start_exporter "$EXPORTER" \
  --no-collector.sockstat
scrape >"$WORK/u1"
e1=$(value 'virtnet_process_read_errors_total{reason="permission"}' "$WORK/u1")
[[ $e1 -ge 2 ]] || fail "permission errors $e1, want at least the target's fd and maps"
expect_value "virtnet_process_open_fds{$L}" absent "$WORK/u1"
[[ $(value "virtnet_process_threads{$L}" "$WORK/u1") == 1 ]] || fail "target's readable series missing"
scrape >"$WORK/u2"
scrape >"$WORK/u3"
e3=$(value 'virtnet_process_read_errors_total{reason="permission"}' "$WORK/u3")
# Later scrapes only meet the processes that are new since (curl): far fewer than the first.
[[ $((e3 - e1)) -le 6 ]] || fail "permission errors grew from $e1 to $e3: refused files retried"
n=$(grep -c "cannot read process file.*path=[^ ]*/$P/" "$WORK/exporter.log" || true)
[[ $n -eq 1 ]] || fail "the target's refusal was logged $n times, want once"
echo "unprivileged: $e1 refusals at the first scrape, $e3 after three; logged once per process"
