#!/usr/bin/env bash
# Files that are not configurations, at start-up and at SIGHUP: each is refused with one clear
# reason, nothing hangs or aborts, and a reload that fails keeps the running configuration.
source "$(dirname "$0")/lib.sh"
CFG="$WORK/virtnet.yml"
BIG="$WORK/big.yml"
{ printf 'collectors:\n'; head -c 50000000 /dev/zero | tr '\0' '#'; printf '\n'; } >"$BIG"
mkdir "$WORK/dir"
mkfifo "$WORK/fifo"
printf '' >"$WORK/empty"
printf 'collectors:\n  sockstat: {enabled: true}\n  sockstat: {enabled: false}\n' >"$WORK/dup.yml"

# name|path|what the error must say
CASES=(
  "directory|$WORK/dir|is a directory, not a regular file"
  "fifo|$WORK/fifo|is a FIFO, not a regular file"
  "dev-zero|/dev/zero|is a character device, not a regular file"
  "proc-mem|/proc/self/mem|cannot read: Input/output error"
  "empty|$WORK/empty|is empty"
  "50MB|$BIG|larger than 1048576 bytes"
  "duplicate|$WORK/dup.yml|.yml:3:3: duplicate key"
)

for c in "${CASES[@]}"; do
  IFS='|' read -r name path want <<<"$c"
  rc=0
  start=$(date +%s%N)
  timeout 10 "$EXPORTER" --config.file="$path" --config.check >"$WORK/out" 2>"$WORK/err" || rc=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  [[ $rc -eq 1 ]] || fail "$name: --config.check rc $rc, want 1 ($(cat "$WORK/err"))"
  grep -qF "$want" "$WORK/err" || fail "$name: --config.check said '$(cat "$WORK/err")', want '$want'"
  [[ $ms -lt 3000 ]] || fail "$name: --config.check took $ms ms"
  rc=0
  timeout 10 "$EXPORTER" --config.file="$path" --web.listen-address=127.0.0.1:0 \
    >"$WORK/out" 2>"$WORK/err" || rc=$?
  [[ $rc -eq 1 ]] || fail "$name: start-up rc $rc, want 1"
  grep -q 'msg="invalid configuration"' "$WORK/err" || fail "$name: start-up said $(cat "$WORK/err")"
  echo "start-up: $name refused in $ms ms: $(head -c 160 "$WORK/err")"
done

# At reload: the running exporter has sockstat off and process on; every bad file must leave it so.
printf 'collectors:\n  sockstat: {enabled: false}\n' >"$CFG"
start_exporter "$EXPORTER" --config.file="$CFG"
running_config_kept() {
  scrape >"$WORK/r" || return 1
  ! grep -q '^virtnet_sockstat_' "$WORK/r" && grep -q '^virtnet_process_scanned ' "$WORK/r"
}
running_config_kept || fail "unexpected running config"
for c in "${CASES[@]}"; do
  IFS='|' read -r name path want <<<"$c"
  rm -rf "$CFG"
  ln -s "$path" "$CFG"
  before=$(grep -c 'reload failed' "$WORK/exporter.log" || true)
  kill -HUP "$EXPORTER_PID"
  for i in $(seq 50); do
    [[ $(grep -c 'reload failed' "$WORK/exporter.log") -gt $before ]] && break
    sleep 0.1
  done
  grep 'reload failed, keeping the running configuration' "$WORK/exporter.log" | tail -1 |
    grep -qF "$want" || fail "$name: reload: $(tail -2 "$WORK/exporter.log")"
  kill -0 "$EXPORTER_PID" 2>/dev/null || fail "$name: the exporter died at reload"
  running_config_kept || fail "$name: the running configuration changed"
  echo "reload: $name refused, running configuration kept"
done
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$EXPORTER_PID/status")
[[ $rss -lt 20480 ]] || fail "RSS $rss KiB after the reloads"
echo "hostile_config: every case refused at start-up and at reload; RSS $rss KiB"
