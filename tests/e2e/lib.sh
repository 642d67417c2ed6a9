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
  # SIGKILL: quicker than a clean stop; graceful SIGTERM is tested in reload.sh. The processes go
  # first: a cleanup may remove what they use (a user, a namespace).
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for c in "${CLEANUPS[@]}"; do eval "$c" || true; done
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
# runs it under a wrapper (e.g. setpriv). SCHEME=https and READY_CURL_ARGS="..." for a TLS one.
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
    before=0
    [[ -f "$WORK/exporter.log" ]] && before=$(wc -l <"$WORK/exporter.log")
    "${prefix[@]}" "$bin" --web.listen-address="127.0.0.1:$PORT" "$@" >>"$WORK/exporter.log" 2>&1 &
    EXPORTER_PID=$!
    PIDS+=("$EXPORTER_PID")
    for i in $(seq 100); do
      # shellcheck disable=SC2086  # READY_CURL_ARGS is split into words on purpose
      if in_ns curl -sf ${READY_CURL_ARGS:-} -o /dev/null "${SCHEME:-http}://127.0.0.1:$PORT/-/ready"; then
        return 0
      fi
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

wait_for() {  # wait_for DESCRIPTION COMMAND...: polls for up to 5 s
  local what=$1 i
  shift
  for i in $(seq 50); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  fail "timed out waiting for: $what"
}

in_ns() {
  if [[ -n "${NETNS:-}" ]]; then ip netns exec "$NETNS" "$@"; else "$@"; fi
}

scrape() {
  in_ns curl -sf "http://127.0.0.1:$PORT${1:-/metrics}"
}

# check_metrics FILE: promtool check metrics must print nothing, and the exposition check must
# find nothing either (promtool lets a series given twice through: two names become one).
check_metrics() {
  local out
  out=$(promtool check metrics <"$1" 2>&1) || fail "promtool check metrics: $(head -5 <<<"$out")"
  out=$("$BUILD_DIR/tests/check_exposition" <"$1" 2>&1) || fail "$out"
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

# start_prometheus SCRAPE_CONFIGS: a real Prometheus (Debian's) scraping every second with the
# given scrape_configs entries (YAML, indented under scrape_configs). Sets PPORT.
start_prometheus() {
  PPORT=$(free_port)
  printf 'global: {scrape_interval: 1s, scrape_timeout: 1s}\nscrape_configs:\n%s\n' "$1" \
    >"$WORK/prometheus.yml"
  prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
    --web.listen-address="127.0.0.1:$PPORT" --log.level=warn >"$WORK/prometheus.log" 2>&1 &
  PIDS+=($!)
}

# prometheus_scrapes_up N: waits (30 s at most) for N new scrapes of the one target, and fails
# at the first that is not up or has an error.
prometheus_scrapes_up() {
  local want=$1 good=0 last="" scraped health err i
  for i in $(seq 150); do
    sleep 0.2
    curl -sf "http://127.0.0.1:$PPORT/api/v1/targets" >"$WORK/targets.json" || continue
    scraped=$(target_field lastScrape)
    [[ -z "$scraped" || "$scraped" == "0001-01-01T00:00:00Z" || "$scraped" == "$last" ]] && continue
    last=$scraped
    health=$(target_field health)
    err=$(target_field lastError)
    [[ "$health" == "up" && -z "$err" ]] || fail "Prometheus: target $health: $err"
    good=$((good + 1))
    [[ $good -ge $want ]] && return 0
  done
  fail "Prometheus made $good good scrapes in 30 s ($(tail -3 "$WORK/prometheus.log"))"
}

target_field() {
  /usr/bin/python3 -c 'import json,sys
t = json.load(open(sys.argv[1]))["data"]["activeTargets"]
print(t[0][sys.argv[2]] if t else "")' "$WORK/targets.json" "$1"
}

# start_leaker: proc_shapes' "keepalived" (per-process series and fd kinds by default), which leaks
# on command through the LEAK coprocess. Sets P (its pid) and L (its labels).
start_leaker() {
  coproc LEAK { "$BUILD_DIR/tests/proc_shapes" leak keepalived; }
  PIDS+=("$LEAK_PID")
  local word
  read -r -t 10 word P <&"${LEAK[0]}" || fail "leaker did not start"
  [[ $word == ready ]] || fail "leaker said $word"
  L="group=\"keepalived\",pid=\"$P\",comm=\"keepalived\""
}
