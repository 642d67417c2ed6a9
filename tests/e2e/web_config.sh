#!/usr/bin/env bash
# --web.config.file: the shipped example passes promtool and --config.check; TLS with a client
# certificate (right CA, wrong CA, none), basic auth (right, wrong, unknown user, timing), headers,
# a real Prometheus scraping with both, and reloads (broken file kept out, a new user, a version).
source "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || fail "openssl is not installed (scripts/deps.sh --test installs it)"
command -v htpasswd >/dev/null || fail "htpasswd is not installed (apache2-utils, scripts/deps.sh --test)"
T="$WORK/tls"
mkdir -p "$T"
ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
  -out "$T/$1.crt" -days 2 -subj "/CN=$1" 2>/dev/null; }
cert() {  # cert NAME CA EXTENSIONS
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
    -out "$T/$1.csr" -subj "/CN=$1" 2>/dev/null
  printf '%b\n' "$3" >"$T/$1.ext"
  openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.crt" -CAkey "$T/$2.key" -CAcreateserial \
    -out "$T/$1.crt" -days 2 -extfile "$T/$1.ext" 2>/dev/null
}
ca prometheus-ca
ca rogue-ca
cert virtnet_exporter prometheus-ca "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth"
cert prometheus prometheus-ca "extendedKeyUsage=clientAuth"
cert rogue rogue-ca "extendedKeyUsage=clientAuth"

# The shipped example, as it is, with the files it names beside it.
cp "$SRC_DIR/packaging/web-config.yml" "$WORK/web.yml"
promtool check web-config "$WORK/web.yml" >"$WORK/promtool.out" 2>&1 ||
  fail "promtool refuses the shipped example: $(cat "$WORK/promtool.out")"
"$EXPORTER" --config.check --web.config.file="$WORK/web.yml" >"$WORK/check.out" 2>&1 ||
  fail "--config.check refuses the shipped example: $(cat "$WORK/check.out")"
echo "shipped example: promtool and --config.check accept it"

# The test's own: alice at cost 10, so a bcrypt takes tens of milliseconds.
ALICE=$(htpasswd -nbBC 10 alice s3cret | cut -d: -f2)
write_config() {  # write_config USER HASH [MIN_VERSION]
  cat >"$WORK/web.yml.new" <<YML
tls_server_config:
  cert_file: tls/virtnet_exporter.crt
  key_file: tls/virtnet_exporter.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: tls/prometheus-ca.crt
  min_version: ${3:-TLS12}
http_server_config:
  headers:
    X-Frame-Options: deny
basic_auth_users:
  $1: '$2'
YML
  mv "$WORK/web.yml.new" "$WORK/web.yml"
}
write_config alice "$ALICE"
GOOD=(--cacert "$T/prometheus-ca.crt" --cert "$T/prometheus.crt" --key "$T/prometheus.key")
# The decoy's timing below takes more failed logins from one address than the default limit
# lets through a bcrypt (e2e_login_flood tests the limit).
SCHEME=https READY_CURL_ARGS="${GOOD[*]} -u alice:s3cret" start_exporter "$EXPORTER" \
  --web.config.file="$WORK/web.yml" --web.login-failures-per-ip=100
grep -q 'msg=listening .*tls=on' "$WORK/exporter.log" || fail "the listening line does not say tls=on"
URL="https://127.0.0.1:$PORT/metrics"
status() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }

curl -sf -D "$WORK/h" "${GOOD[@]}" -u alice:s3cret "$URL" >"$WORK/m" || fail "scrape with the right everything"
check_metrics "$WORK/m"
grep -qi '^X-Frame-Options: deny' "$WORK/h" || fail "configured header missing: $(cat "$WORK/h")"
grep -q '^virtnet_http_requests_unauthorized_total 0' "$WORK/m" || fail "unauthorized counter"

rc=0; curl -s -o /dev/null --cacert "$T/rogue-ca.crt" --cert "$T/prometheus.crt" \
  --key "$T/prometheus.key" -u alice:s3cret "$URL" || rc=$?
[[ $rc -eq 60 ]] || fail "a client trusting another CA: curl exit $rc, want 60 (certificate not trusted)"
[[ $(status --cacert "$T/prometheus-ca.crt" -u alice:s3cret "$URL") == 000 ]] ||
  fail "served a client with no certificate"
[[ $(status --cacert "$T/prometheus-ca.crt" --cert "$T/rogue.crt" --key "$T/rogue.key" \
  -u alice:s3cret "$URL") == 000 ]] || fail "served a client certificate from another CA"
[[ $(status -m 3 "http://127.0.0.1:$PORT/metrics") != 200 ]] || fail "served plain HTTP"
echo "TLS: right CA 200; wrong CA, no client certificate, a foreign one and plain HTTP refused"

n401=0 # the requests refused so far, for the counter below
[[ $(status "${GOOD[@]}" -u alice:wrong "$URL") == 401 ]] || fail "wrong password not 401"
[[ $(status "${GOOD[@]}" -u mallory:s3cret "$URL") == 401 ]] || fail "unknown user not 401"
[[ $(status "${GOOD[@]}" "https://127.0.0.1:$PORT/") == 401 ]] || fail "landing page without credentials"
curl -s -D "$WORK/h401" -o /dev/null "${GOOD[@]}" -u alice:wrong "$URL"
n401=$((n401 + 4))
grep -qi '^WWW-Authenticate: Basic' "$WORK/h401" || fail "401 without WWW-Authenticate"
# Timing: an unknown user costs a bcrypt of the same cost as a known one (the decoy). Each try
# uses a new password, so no cached answer is measured.
t_known=0 t_unknown=0
for i in 1 2 3 4 5; do
  k=$(curl -s -o /dev/null -w '%{time_total}' "${GOOD[@]}" -u "alice:wrong$i" "$URL")
  u=$(curl -s -o /dev/null -w '%{time_total}' "${GOOD[@]}" -u "nobody$i:wrong$i" "$URL")
  t_known=$(awk -v a="$t_known" -v b="$k" 'BEGIN{print a+b}')
  t_unknown=$(awk -v a="$t_unknown" -v b="$u" 'BEGIN{print a+b}')
  n401=$((n401 + 2))
done
echo "basic auth: 5 wrong passwords of alice took ${t_known}s, 5 unknown users ${t_unknown}s"
awk -v k="$t_known" -v u="$t_unknown" 'BEGIN{exit !(u > 0.6 * k && u < 1.6 * k)}' ||
  fail "unknown users are not timed like known ones (decoy hash)"
scrape_m() { curl -sf "${GOOD[@]}" -u alice:s3cret "$URL" >"$WORK/m"; }
scrape_m
grep -q "^virtnet_http_requests_unauthorized_total $n401\$" "$WORK/m" ||
  fail "unauthorized counter: $(grep unauthorized "$WORK/m")"
grep -q 's3cret\|\$2y\$' "$WORK/exporter.log" && fail "a password or hash reached the log"

# A real Prometheus scrapes it with a client certificate and basic auth.
start_prometheus "  - job_name: virtnet
    scheme: https
    tls_config: {ca_file: $T/prometheus-ca.crt, cert_file: $T/prometheus.crt, key_file: $T/prometheus.key}
    basic_auth: {username: alice, password: s3cret}
    static_configs: [{targets: ['127.0.0.1:$PORT']}]"
prometheus_scrapes_up 2
echo "Prometheus: 2 scrapes up over TLS with a client certificate and basic auth"

# Reloads: a broken file is logged and the last good configuration stays.
echo "tls_server_config: [" >"$WORK/web.yml"
wait_log() { wait_for "log line: $1" grep -q "$1" "$WORK/exporter.log"; }
# Requests are what make the exporter look at the file again (at most once a second).
for i in 1 2 3; do scrape_m || fail "scrape during a broken web config"; sleep 0.5; done
wait_log 'web configuration reload failed, keeping the last good one'
[[ $(grep -c 'web configuration reload failed' "$WORK/exporter.log") -eq 1 ]] ||
  fail "a broken file is logged more than once"
echo "reload: a broken file is logged once, scrapes go on with the last good one"

BOB=$(htpasswd -nbBC 10 bob other | cut -d: -f2)
write_config bob "$BOB" TLS13
sleep 1.1
status "${GOOD[@]}" -u bob:other "$URL" >/dev/null
wait_log 'web configuration reloaded'
[[ $(status "${GOOD[@]}" -u bob:other "$URL") == 200 ]] || fail "bob not let in after reload"
[[ $(status "${GOOD[@]}" -u alice:s3cret "$URL") == 401 ]] || fail "alice still let in after reload"
[[ $(status "${GOOD[@]}" -u bob:other --tls-max 1.2 "$URL") == 000 ]] ||
  fail "a TLS 1.2 client served after min_version TLS13"
echo "reload: users and min_version take effect without a restart"
# Users are secrets too (the issue): no user name, password or hash in the log, ever.
grep -q 'alice\|bob\|mallory\|s3cret\|\$2y\$' "$WORK/exporter.log" &&
  fail "a user name, password or hash reached the log: $(grep 'alice\|bob\|mallory\|s3cret\|\$2y\$' "$WORK/exporter.log")"
echo "web_config: all passed"
