# Sourced after lib.sh: a keepalived pair (Debian's) in two namespaces of the test's own joined
# by a veth, vrm (10.99.0.1, the master, priority 150) and vrb (10.99.0.2, the backup, 100),
# VRRPv2 VRID 51 at 1 s with auth PASS $PASSWORD for 10.99.0.100.
# keepalived_pair: makes it and waits for the master; sets M, B (the namespaces) and VRRP_PID
# (the master's VRRP process).
[[ $(id -u) -eq 0 ]] || skip "needs root to create network namespaces and run keepalived"
command -v keepalived >/dev/null || fail "keepalived not installed (bash scripts/deps.sh --test)"
PASSWORD=s3cretpw

keepalived_in() {  # keepalived_in NS NAME INTERFACE PRIORITY
  cat >"$WORK/$2.conf" <<CONF
global_defs {
  router_id $2
}
vrrp_instance VI_1 {
  state BACKUP
  interface $3
  virtual_router_id 51
  priority $4
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass $PASSWORD
  }
  virtual_ipaddress {
    10.99.0.100/24
  }
}
CONF
  ip netns exec "$1" keepalived --dont-fork --log-console --log-detail -f "$WORK/$2.conf" \
    -p "$WORK/$2.pid" -r "$WORK/$2-vrrp.pid" -c "$WORK/$2-checkers.pid" >"$WORK/$2.log" 2>&1 &
  PIDS+=($!)
  # The VRRP child outlives a SIGKILLed parent: kill it by its pid file too.
  CLEANUPS+=("kill -KILL \$(cat $WORK/$2-vrrp.pid 2>/dev/null) 2>/dev/null")
}

keepalived_pair() {
  M=vt-vrrp-m-$$
  B=vt-vrrp-b-$$
  ip netns add "$M" || skip "cannot create a network namespace here"
  CLEANUPS+=("ip netns del $M")
  ip netns add "$B"
  CLEANUPS+=("ip netns del $B")
  ip link add vrm netns "$M" type veth peer name vrb netns "$B"
  ip -n "$M" addr add 10.99.0.1/24 dev vrm
  ip -n "$B" addr add 10.99.0.2/24 dev vrb
  local ns
  for ns in "$M" "$B"; do ip -n "$ns" link set lo up; done
  ip -n "$M" link set vrm up
  ip -n "$B" link set vrb up
  keepalived_in "$M" master vrm 150
  keepalived_in "$B" backup vrb 100
  for _ in $(seq 100); do
    ip -n "$M" -4 addr show vrm | grep -q 10.99.0.100 && [[ -s "$WORK/master-vrrp.pid" ]] && break
    sleep 0.1
  done
  ip -n "$M" -4 addr show vrm | grep -q 10.99.0.100 ||
    fail "keepalived did not become master: $(tail "$WORK/master.log")"
  VRRP_PID=$(cat "$WORK/master-vrrp.pid")
}
