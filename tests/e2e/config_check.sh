#!/usr/bin/env bash
# --config.check: exit 0 on a valid file; exit 1 with exactly "file:line:column: message" if not.
source "$(dirname "$0")/lib.sh"

check() {  # check EXPECTED_RC EXPECTED_STDERR YAML [FLAGS...]
  local want_rc=$1 want_err=$2 yaml=$3
  shift 3
  printf '%s' "$yaml" >"$WORK/c.yml"
  local rc=0
  "$EXPORTER" --config.file="$WORK/c.yml" --config.check "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  [[ $rc -eq $want_rc ]] || fail "rc $rc, want $want_rc for: $yaml ($(cat "$WORK/err"))"
  local got
  got=$(sed "s#$WORK/##" "$WORK/err")
  [[ "$got" == "$want_err" ]] || fail "stderr: got '$got', want '$want_err'"
}

check 0 "" $'collectors:\n  sockstat:\n    enabled: true\n    tcp_peers: true\n    tcp_peers_top_n: 10\n'
grep -q "configuration OK" "$WORK/out" || fail "no OK message"
check 1 'c.yml: is empty (a configuration file holds at least "collectors:")' ""
check 0 "" $'# only a comment: every default\n'
check 1 'c.yml:3:3: duplicate key "sockstat" (first at line 2, column 3)' \
  $'collectors:\n  sockstat: {enabled: true}\n  sockstat: {enabled: false}\n'
check 1 'c.yml:2:3: unknown collector "sockstats"' $'collectors:\n  sockstats: {}\n'
check 1 'c.yml:3:5: unknown option "top_n" for collector sockstat (known: enabled, tcp_states, tcp_peers, tcp_peers_top_n)' \
  $'collectors:\n  sockstat:\n    top_n: 3\n'
check 1 'c.yml:3:22: tcp_peers_top_n must be between 1 and 50, got 0' \
  $'collectors:\n  sockstat:\n    tcp_peers_top_n: 0\n'
check 1 'c.yml:3:16: tcp_peers must be a boolean' $'collectors:\n  sockstat:\n    tcp_peers: often\n'
check 1 'c.yml:1:1: unknown key "collector" (known: collectors)' $'collector:\n  sockstat: {}\n'
check 1 'c.yml:3:1: end of map flow not found' $'collectors:\n  sockstat: {enabled: true\n'
# A flag is checked too, and wins over the file.
check 1 'flag --collector.sockstat.tcp-peers-top-n: tcp_peers_top_n must be between 1 and 50, got 99' \
  $'collectors:\n  sockstat: {}\n' --collector.sockstat.tcp-peers-top-n=99
# What the server would refuse at start is refused here too.
check 1 '--web.listen-address "nope": want HOST:PORT or :PORT' $'collectors:\n' --web.listen-address=nope
check 1 '--web.telemetry-path "/-/x": must start with / and not be / or under /-/' \
  $'collectors:\n' --web.telemetry-path=/-/x
check 0 "" $'collectors:\n' --web.listen-address=0.0.0.0:10120
rc=0
"$EXPORTER" --config.file=/nonexistent.yml --config.check 2>"$WORK/err" || rc=$?
[[ $rc -eq 1 ]] || fail "missing file: rc $rc"
grep -qx '/nonexistent.yml: cannot open: No such file or directory' "$WORK/err" || fail "missing file message: $(cat "$WORK/err")"
echo "config_check: all cases behave"
