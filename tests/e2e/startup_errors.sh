#!/usr/bin/env bash
# An address in use, a malformed address, a bad flag or a bad config: one clear line, exit 1.
source "$(dirname "$0")/lib.sh"

expect_one_line_exit1() {  # expect_one_line_exit1 PATTERN ARGS...
  local pattern=$1
  shift
  local rc=0
  timeout 10 "$EXPORTER" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  [[ $rc -eq 1 ]] || fail "$*: rc $rc, want 1"
  [[ $(wc -l <"$WORK/err") -eq 1 ]] || fail "$*: want one line, got: $(cat "$WORK/err")"
  grep -qE "$pattern" "$WORK/err" || fail "$*: '$(cat "$WORK/err")' does not match '$pattern'"
}

start_exporter "$EXPORTER"
expect_one_line_exit1 "cannot listen on 127.0.0.1:$PORT: .*Address already in use" \
  --web.listen-address="127.0.0.1:$PORT"
expect_one_line_exit1 'want HOST:PORT' --web.listen-address=10120
expect_one_line_exit1 'port must be a number from 0 to 65535' --web.listen-address=:99999
expect_one_line_exit1 'want \[IPV6\]:PORT' --web.listen-address='[::1]10120'
expect_one_line_exit1 'IPv6 address in brackets' --web.listen-address='::1:10120'
expect_one_line_exit1 'cannot resolve' --web.listen-address=no-such-host.invalid:10120
expect_one_line_exit1 'must start with /' --web.telemetry-path=metrics --web.listen-address=127.0.0.1:1
expect_one_line_exit1 'not expected: --web.listen' --web.listen=:1
printf 'collectors:\n  sockstat: 3\n' >"$WORK/bad.yml"
expect_one_line_exit1 'invalid configuration.*bad.yml:2:13: collector sockstat must be a map' \
  --config.file="$WORK/bad.yml"
# The running exporter was not disturbed by any of it.
scrape >/dev/null || fail "first exporter stopped serving"
echo "startup_errors: all refused with one line"
