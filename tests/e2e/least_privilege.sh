#!/usr/bin/env bash
# The exporter as a non-root user: with --run-as (root drops to nobody, keeping only what the
# enabled collectors need), and started as nobody with each capability, none, and all. A missing
# capability makes its collector report success 0 with one log line naming it; the collector still
# exports what it can read, and the others go on.
source "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || fail "setpriv (util-linux) not installed (scripts/deps.sh --test)"
[[ $(id -u) -eq 0 ]] || skip "needs root: to own the target, drop privileges and make a namespace"

# A root "keepalived" with open fds and mappings; a named network namespace for links' walk.
start_leaker
NS="vnlp-$$"
ip netns add "$NS" || skip "cannot create a network namespace"
CLEANUPS+=("ip netns del $NS")
chmod o+rx "$WORK"
ARGS=(--collector.links.netns --no-collector.sockstat)

success() { value "virtnet_scrape_collector_success{collector=\"$1\"}" "$WORK/m"; }
fds() { value "virtnet_process_open_fds{group=\"keepalived\",pid=\"$P\",comm=\"keepalived\"}" "$WORK/m"; }
maps() { value 'virtnet_process_group_mappings{group="keepalived"}' "$WORK/m"; }
ns_lo() { value "virtnet_link_mtu_bytes{netns=\"$NS\",link=\"lo\"}" "$WORK/m"; }
stop() { kill -KILL "$EXPORTER_PID"; wait "$EXPORTER_PID" 2>/dev/null || true; }

# 1. --run-as: nobody, with CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH and (for the namespace walk)
#    CAP_SYS_ADMIN, nothing else; in every thread; an empty bounding set; no new privileges.
start_exporter "$EXPORTER" --run-as=nobody "${ARGS[@]}"
scrape >"$WORK/m"
st="/proc/$EXPORTER_PID/status"
u=$(id -u nobody)
[[ $(awk '/^Uid:/ {print $2 $3 $4 $5}' "$st") == "$u$u$u$u" ]] || fail "not running as nobody"
# CAP_DAC_READ_SEARCH is 2, CAP_SYS_PTRACE 19, CAP_SYS_ADMIN 21 (linux/capability.h).
want=$(printf %016x $(((1 << 2) | (1 << 19) | (1 << 21))))
for t in /proc/"$EXPORTER_PID"/task/*/status; do
  eff=$(awk '/^CapEff:/ {print $2}' "$t")
  [[ $eff == "$want" ]] || fail "thread $t: CapEff $eff, want SYS_ADMIN|SYS_PTRACE|DAC_READ_SEARCH"
done
[[ $(awk '/^CapBnd:/ {print $2}' "$st") == 0000000000000000 ]] || fail "bounding set not emptied"
[[ $(awk '/^NoNewPrivs:/ {print $2}' "$st") == 1 ]] || fail "no_new_privs not set"
grep -q 'msg="running as an unprivileged user" user=nobody capabilities=CAP_SYS_PTRACE,CAP_DAC_READ_SEARCH,CAP_SYS_ADMIN' \
  "$WORK/exporter.log" || fail "no log line naming the kept capabilities"
for c in process links qemu; do [[ $(success $c) == 1 ]] || fail "--run-as: $c success $(success $c)"; done
[[ $(fds) != absent && $(maps) != 0 && $(ns_lo) != absent ]] ||
  fail "--run-as: root target fds $(fds), mappings $(maps), namespace lo $(ns_lo)"
stop
echo "--run-as nobody: uid 65534, exactly three capabilities in all threads, every collector up"

# 2. Started as nobody with a given set of ambient capabilities (as systemd's AmbientCapabilities
#    does). Listing another user's fd directory needs DAC_READ_SEARCH; its links and maps need
#    SYS_PTRACE; entering a namespace needs SYS_ADMIN.
as_nobody() {  # as_nobody CAPS(comma list, +cap form, or "") MISSING_PROCESS MISSING_LINKS
  local caps=$1 wrap="setpriv --reuid=nobody --regid=nogroup --clear-groups"
  [[ -n $caps ]] && wrap+=" --inh-caps=$caps --ambient-caps=$caps"
  : >"$WORK/exporter.log"
  WRAP=$wrap start_exporter "$EXPORTER" "${ARGS[@]}"
  scrape >"$WORK/m"
  scrape >"$WORK/m"
  [[ $(success qemu) == 1 ]] || fail "caps [$caps]: qemu failed"
  check_collector process "$2"
  check_collector links "$3"
}
check_collector() {  # check_collector NAME MISSING: success 0 and one log line naming MISSING
  local n
  n=$(grep -c "msg=\"collector failed\" collector=$1 " "$WORK/exporter.log" || true)
  if [[ -z $2 ]]; then
    [[ $(success "$1") == 1 && $n -eq 0 ]] || fail "caps [$caps]: $1 success $(success "$1"), $n failure lines"
    return
  fi
  [[ $(success "$1") == 0 ]] || fail "caps [$caps]: $1 success $(success "$1"), want 0"
  [[ $n -eq 1 ]] || fail "caps [$caps]: $1 failure logged $n times over two scrapes, want once"
  grep "collector=$1 " "$WORK/exporter.log" | grep -q "err=\"missing $2" ||
    fail "caps [$caps]: $1 does not name $2: $(grep "collector=$1 " "$WORK/exporter.log")"
}
as_nobody "" "CAP_SYS_PTRACE (to read other users' /proc/PID/maps and fd links), CAP_DAC_READ_SEARCH" \
  CAP_SYS_ADMIN
[[ $(fds) == absent && $(maps) == 0 && $(ns_lo) == absent ]] ||
  fail "no caps: fds $(fds) mappings $(maps) ns $(ns_lo)"
stop
as_nobody +sys_ptrace "CAP_DAC_READ_SEARCH (to list other users' /proc/PID/fd)\"" CAP_SYS_ADMIN
[[ $(fds) == absent && $(maps) != 0 ]] || fail "SYS_PTRACE only: fds $(fds) mappings $(maps)"
stop
as_nobody +dac_read_search "CAP_SYS_PTRACE (to read other users' /proc/PID/maps and fd links)\"" \
  CAP_SYS_ADMIN
# The fd directory is listed now; its links (for fd kinds) and the maps still need SYS_PTRACE.
[[ $(maps) == 0 ]] || fail "DAC_READ_SEARCH only: mappings $(maps)"
grep -q "path=/proc/$P/fd/[0-9]* err=\"Permission denied\"" "$WORK/exporter.log" ||
  fail "DAC_READ_SEARCH only: the fd directory was not listed"
stop
as_nobody +sys_admin "CAP_SYS_PTRACE" ""
[[ $(ns_lo) != absent ]] || fail "SYS_ADMIN: the namespace's lo is missing"
stop
as_nobody +sys_ptrace,+dac_read_search,+sys_admin "" ""
[[ $(fds) != absent && $(maps) != 0 && $(ns_lo) != absent ]] || fail "all three: something missing"
stop
echo "as nobody: none, each one alone, and all three: the right collector fails, named once"

# 3. --run-as refused: not root, no such user.
rc=0
setpriv --reuid=nobody --regid=nogroup --clear-groups "$EXPORTER" --run-as=nobody \
  --web.listen-address=127.0.0.1:0 >"$WORK/o" 2>&1 || rc=$?
[[ $rc -eq 1 ]] && grep -q 'needs to be started as root' "$WORK/o" || fail "--run-as as nobody: rc $rc $(cat "$WORK/o")"
rc=0
"$EXPORTER" --run-as=no-such-user-here --web.listen-address=127.0.0.1:0 >"$WORK/o" 2>&1 || rc=$?
[[ $rc -eq 1 ]] && grep -q 'no such user' "$WORK/o" || fail "--run-as unknown user: rc $rc $(cat "$WORK/o")"
echo "least_privilege: all passed"
