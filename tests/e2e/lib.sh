# Shared helpers for the end-to-end tests. Each test sources this, then runs the real binaries.
set -euo pipefail
: "${BUILD_DIR:?BUILD_DIR must point at the build directory}"
: "${SRC_DIR:?SRC_DIR must point at the source tree}"
EXPORTER="$BUILD_DIR/virtnet_exporter"
TESTBIN="$BUILD_DIR/tests/virtnet_exporter_testbin"
WORK=$(mktemp -d /tmp/virtnet-e2e.XXXXXX)
PIDS=()
CLEANUPS=()

cleanup() {
  local p c
  for c in "${CLEANUPS[@]}"; do eval "$c" || true; done
  # SIGKILL: quicker than a clean stop; graceful SIGTERM is tested in reload.sh.
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  if [[ -f "$WORK/exporter.log" ]]; then
    echo "--- exporter log ---" >&2
    tail -n 30 "$WORK/exporter.log" >&2
  fi
  exit 1
}

skip() {
  echo "SKIP: $*"
  exit 77
}

# free_port: a loopback port below the kernel's ephemeral range (so no client socket of an
# earlier test can hold it) that no socket, in any state, uses now.
free_port() {
  local p low
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  for p in $(shuf -i 10000-$((low - 1)) -n 50); do
    if ! ss -Htan "sport = :$p" | grep -q .; then
      echo "$p"
      return
    fi
  done
  fail "no free port found"
}

# start_exporter BINARY [ARGS...]: starts it on a free loopback port, waits for /-/ready.
# Sets PORT and EXPORTER_PID. NETNS=name runs it inside a network namespace; WRAP="cmd args"
# runs it under a wrapper (e.g. setpriv).
start_exporter() {
  local bin=$1
  shift
  local prefix=() attempt i
  [[ -n "${NETNS:-}" ]] && prefix=(ip netns exec "$NETNS")
  # shellcheck disable=SC2206  # WRAP is split into words on purpose
  [[ -n "${WRAP:-}" ]] && prefix+=($WRAP)
  # A port found free can still be taken before the exporter binds it: try another then.
  for attempt in 1 2 3; do
    PORT=$(free_port)
    local before
    before=$(wc -l <"$WORK/exporter.log" 2>/dev/null || echo 0)
    "${prefix[@]}" "$bin" --web.listen-address="127.0.0.1:$PORT" "$@" >>"$WORK/exporter.log" 2>&1 &
    EXPORTER_PID=$!
    PIDS+=("$EXPORTER_PID")
    for i in $(seq 100); do
      if in_ns curl -sf -o /dev/null "http://127.0.0.1:$PORT/-/ready"; then return 0; fi
      if ! kill -0 "$EXPORTER_PID" 2>/dev/null; then
        tail -n +"$((before + 1))" "$WORK/exporter.log" | grep -q 'Address already in use' &&
          continue 2
        fail "exporter exited during start-up"
      fi
      sleep 0.1
    done
    fail "exporter not ready after 10 s"
  done
  fail "exporter could not bind a free port in 3 attempts"
}

in_ns() {
  if [[ -n "${NETNS:-}" ]]; then ip netns exec "$NETNS" "$@"; else "$@"; fi
}

scrape() {
  in_ns curl -sf "http://127.0.0.1:$PORT${1:-/metrics}"
}

# value METRIC_WITH_LABELS FILE: the sample value of an exact series line, or "absent".
value() {
  awk -v s="$1" 'index($0, s " ") == 1 { print $2; found = 1 } END { if (!found) print "absent" }' "$2"
}

expect_value() {
  local got
  got=$(value "$1" "$3")
  [[ "$got" == "$2" ]] || fail "$1: want $2, got $got"
}
