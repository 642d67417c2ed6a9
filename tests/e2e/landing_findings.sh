#!/usr/bin/env bash
# The running exporter's findings, as an operator sees them in a browser (Debian's chromium,
# headless) and from diagnose --from, behind TLS and basic auth:
# - a keepalived pair in namespaces of the test's own (lib_keepalived.sh), a VXLAN over an
#   underlay 100 bytes too small in the master's namespace, and one named "<script>\xff";
# - while the master's VRRP process is stopped (a backup took over), the landing page lists the
#   master-down gap and the negative headroom with their culprits and runbook links;
# - once it resumes, the recent events hold the gap with its length; diagnose --from reports it
#   and exits 1, where a fresh diagnose does not see it;
# - without credentials, /, /api/v1/findings and diagnose --from get 401.
# The screenshots are kept in $BUILD_DIR/test-artifacts/.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_keepalived.sh"
command -v chromium >/dev/null || fail "chromium not installed (bash scripts/deps.sh --test)"
command -v openssl >/dev/null || fail "openssl not installed (bash scripts/deps.sh --test)"
command -v htpasswd >/dev/null || fail "htpasswd not installed (apache2-utils, scripts/deps.sh --test)"
ART="$(cd "$BUILD_DIR" && pwd)/test-artifacts"
mkdir -p "$ART"

keepalived_pair
in_m() { ip -n "$M" "$@"; }
# Sized while the underlay is at 1500 (the kernel refuses more afterwards), then lowered.
in_m link add ul0 type veth peer name ul1
in_m link add vx0 type vxlan id 42 dev ul0 dstport 4789
in_m link set vx0 mtu 1450  # 1450 + 50 over 1400: -100
HOSTILE=$'<script>\xff'
in_m link add "$HOSTILE" type vxlan id 43 dev ul0 dstport 4790 ||
  fail "cannot name a link <script>\\xff"
in_m link set "$HOSTILE" mtu 1450
in_m link set ul0 mtu 1400
in_m link set ul1 mtu 1400
for l in ul0 ul1 vx0 "$HOSTILE"; do in_m link set "$l" up; done

# TLS and basic auth, as web_config.sh tests them; bcrypt cost 4 keeps the logins quick.
T="$WORK/tls"
mkdir -p "$T"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca.key" \
  -out "$T/ca.crt" -days 2 -subj "/CN=test-ca" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/server.key" \
  -out "$T/server.csr" -subj "/CN=virtnet" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$T/server.ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
  -out "$T/server.crt" -days 2 -extfile "$T/server.ext" 2>/dev/null
cat >"$WORK/web.yml" <<YML
tls_server_config:
  cert_file: $T/server.crt
  key_file: $T/server.key
basic_auth_users:
  alice: '$(htpasswd -nbBC 4 alice s3cret | cut -d: -f2)'
YML
printf 's3cret\n' >"$WORK/password"
cat >"$WORK/client.yml" <<YML
basic_auth: {username: alice, password_file: $WORK/password}
tls_config: {ca_file: $T/ca.crt}
YML
COLLECTORS=(--collector.disable-defaults --collector.vrrp --collector.vrrp.netns
  --collector.links --collector.links.netns)
SCHEME=https READY_CURL_ARGS="--cacert $T/ca.crt -u alice:s3cret" start_exporter "$EXPORTER" \
  "${COLLECTORS[@]}" --web.config.file="$WORK/web.yml"
BASE="https://127.0.0.1:$PORT"
get() { curl -sf --cacert "$T/ca.crt" -u alice:s3cret "$BASE$1"; }
status() { curl -s -o /dev/null -w '%{http_code}' --cacert "$T/ca.crt" "$@" || true; }

# Without credentials: 401 everywhere, diagnose --from included (exit 2, saying why).
for p in / /api/v1/findings /runbooks/VirtnetVrrpMasterDownGap; do
  [[ $(status "$BASE$p") == 401 ]] || fail "$p without credentials: $(status "$BASE$p"), want 401"
done
rc=0
"$EXPORTER" diagnose --from "$BASE" >"$WORK/untrusted.out" 2>&1 || rc=$?
[[ $rc == 2 ]] && grep -q 'certificate' "$WORK/untrusted.out" ||
  fail "diagnose --from without the CA: exit $rc: $(cat "$WORK/untrusted.out")"
printf 'tls_config: {ca_file: %s}\n' "$T/ca.crt" >"$WORK/tls-only.yml"
rc=0
"$EXPORTER" diagnose --from "$BASE" --http.config.file "$WORK/tls-only.yml" >"$WORK/noauth.out" 2>&1 || rc=$?
[[ $rc == 2 ]] && grep -q '401 Unauthorized' "$WORK/noauth.out" ||
  fail "diagnose --from without credentials: exit $rc: $(cat "$WORK/noauth.out")"
printf 'basic_auth: {username: alice, password: wrong}\ntls_config: {ca_file: %s}\n' "$T/ca.crt" \
  >"$WORK/wrong.yml"
rc=0
"$EXPORTER" diagnose --from "$BASE" --http.config.file "$WORK/wrong.yml" >"$WORK/wrong.out" 2>&1 || rc=$?
[[ $rc == 2 ]] && grep -q '401' "$WORK/wrong.out" && ! grep -q wrong "$WORK/wrong.out" ||
  fail "diagnose --from with a wrong password: exit $rc: $(cat "$WORK/wrong.out")"
echo "without credentials: /, /api/v1/findings, a runbook and diagnose --from get 401"

# Chromium as an operator's browser: credentials in the URL, the test CA not installed.
browse() {  # browse OUT.html [SCREENSHOT.png]
  local url="https://alice:s3cret@127.0.0.1:$PORT/"
  timeout 60 chromium --headless --no-sandbox --disable-gpu --ignore-certificate-errors \
    --user-data-dir="$WORK/chromium" --dump-dom "$url" >"$1" 2>"$WORK/chromium.log" ||
    fail "chromium --dump-dom: $(tail -5 "$WORK/chromium.log")"
  if [[ -n "${2:-}" ]]; then
    (cd "$WORK" && timeout 60 chromium --headless --no-sandbox --disable-gpu \
      --ignore-certificate-errors --user-data-dir="$WORK/chromium" --window-size=1400,1100 \
      --hide-scrollbars --screenshot="$2" "$url" >/dev/null 2>>"$WORK/chromium.log") ||
      fail "chromium --screenshot: $(tail -5 "$WORK/chromium.log")"
    [[ -s "$2" ]] || fail "no screenshot written"
  fi
}

# A first scrape, with the master heard; then its VRRP process stopped until the backup has
# taken the VIP over; the second scrape is judged against the first.
for _ in $(seq 50); do
  get /metrics | grep -q 'virtnet_vrrp_advertisements_total{.*source="10.99.0.1"' && break
  sleep 0.2
done
get /metrics >/dev/null
kill -STOP "$VRRP_PID"
for _ in $(seq 100); do
  ip -n "$B" -4 addr show vrb | grep -q 10.99.0.100 && break
  sleep 0.1
done
ip -n "$B" -4 addr show vrb | grep -q 10.99.0.100 || fail "the backup did not take the VIP over"
sleep 1.5  # its advertisements captured
get /metrics >"$WORK/during.prom"
grep -q 'virtnet_vrrp_master_down_gaps_total{.*source="10.99.0.1".*} [1-9]' "$WORK/during.prom" ||
  fail "no master-down gap counted: $(grep master_down_gaps "$WORK/during.prom")"

browse "$WORK/during.html" "$ART/landing_page_during_gap.png"
row() {  # row FILE TABLE ALERT: the table's row of that alert
  python3 - "$@" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8", errors="replace").read()
table = re.search(r'<table id="%s">(.*?)</table>' % sys.argv[2], html, re.S)
rows = [r for r in re.findall(r"<tr.*?</tr>", table.group(1) if table else "", re.S)
        if ">%s</a>" % sys.argv[3] in r]
print("\n".join(rows))
PY
}
gap=$(row "$WORK/during.html" findings VirtnetVrrpMasterDownGap)
[[ $gap == *'source="10.99.0.1"'* && $gap == *'interface="vrm"'* && $gap == *'vrid="51"'* ]] ||
  fail "the landing page does not list the gap with its culprit: ${gap:-no row}"
[[ $gap == *'href="/runbooks/VirtnetVrrpMasterDownGap"'* ]] || fail "no runbook link: $gap"
headroom=$(row "$WORK/during.html" findings VirtnetLinkMtuHeadroomNegative)
[[ $headroom == *'link="vx0"'* && $headroom == *'href="/runbooks/VirtnetLinkMtuHeadroomNegative"'* ]] ||
  fail "the landing page does not list vx0's headroom: ${headroom:-no row}"
# The hostile name: listed, as text (escaped, its invalid byte shown as an escape), no element.
grep -q 'link="&lt;script&gt;\\xff"' "$WORK/during.html" ||
  fail "the <script>\\xff link is not listed as text: $(grep -o 'link=[^<]*script[^<]*' "$WORK/during.html")"
grep -qi '<script' "$WORK/during.html" && fail "a <script> element reached the page"
get /runbooks/VirtnetVrrpMasterDownGap | grep -q '<h2>Diagnosis</h2>' ||
  fail "the runbook the page links to is not served"
echo "while the master is stopped: the page lists the gap and vx0's headroom with culprits and runbooks"

# The master resumes and takes the VIP back; two scrapes later the gap's event has ended.
kill -CONT "$VRRP_PID"
for _ in $(seq 100); do
  ip -n "$M" -4 addr show vrm | grep -q 10.99.0.100 && break
  sleep 0.1
done
sleep 1.2
get /metrics >/dev/null
sleep 1.2
get /metrics >/dev/null
browse "$WORK/after.html" "$ART/landing_page_after_gap.png"
ev=$(row "$WORK/after.html" events VirtnetVrrpMasterDownGap)
[[ $ev == *'source="10.99.0.1"'* ]] || fail "the recent events do not hold the gap: ${ev:-no row}"
length=$(grep -oE 'gap [0-9.]+ s' <<<"$ev" | head -1 | awk '{print $2}')
[[ -n $length ]] && awk -v l="$length" 'BEGIN { exit !(l >= 2.5 && l < 30) }' ||
  fail "the gap's length is not in its event: $ev"
[[ $ev != *ongoing* ]] || fail "the gap's event has not ended: $ev"
[[ -z $(row "$WORK/after.html" findings VirtnetVrrpMasterDownGap) ]] ||
  fail "the gap is still listed as wrong now"
echo "after the master resumed: the recent events hold the gap of $length s"

# diagnose --from: the past gap and the headroom; exit 1. JSON the same.
rc=0
"$EXPORTER" diagnose --from "$BASE" --http.config.file "$WORK/client.yml" >"$WORK/from.out" 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "diagnose --from: exit $rc: $(cat "$WORK/from.out")"
grep -qE '^1?[0-9]\. \[critical\] VirtnetLinkMtuHeadroomNegative  netns="[^"]*" link="vx0"' "$WORK/from.out" ||
  fail "diagnose --from does not report vx0: $(cat "$WORK/from.out")"
grep -qE '\[critical\] VirtnetVrrpMasterDownGap .*source="10.99.0.1".*gap [0-9.]+ s' "$WORK/from.out" ||
  fail "diagnose --from does not report the past gap: $(cat "$WORK/from.out")"
grep -q s3cret "$WORK/from.out" && fail "the password reached diagnose's output"
rc=0
"$EXPORTER" diagnose --from "$BASE" --http.config.file "$WORK/client.yml" --output json \
  >"$WORK/from.json" 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "diagnose --from --output json: exit $rc"
python3 - "$WORK/from.json" <<'PY' || fail "diagnose --from --output json: $(head -c 600 "$WORK/from.json")"
import json, sys
j = json.load(open(sys.argv[1]))
gaps = [e for e in j["events"] if e["alert"] == "VirtnetVrrpMasterDownGap"]
assert gaps and gaps[0]["culprit"]["source"] == "10.99.0.1" and gaps[0]["ended"], gaps
assert gaps[0]["measure"]["name"] == "gap" and gaps[0]["measure"]["value"] > 2, gaps
assert any(f["culprit"].get("link") == "vx0" for f in j["findings"]), j["findings"]
PY
# A fresh diagnose of the same host sees the headroom, not the gap of a minute ago.
rc=0
"$EXPORTER" diagnose --watch 2s "${COLLECTORS[@]}" >"$WORK/fresh.out" 2>&1 || rc=$?
[[ $rc == 1 ]] && grep -q VirtnetLinkMtuHeadroomNegative "$WORK/fresh.out" ||
  fail "a fresh diagnose: exit $rc: $(cat "$WORK/fresh.out")"
grep -q VirtnetVrrpMasterDownGap "$WORK/fresh.out" && fail "a fresh diagnose saw the past gap?"
get /metrics | grep -q '^virtnet_findings_events [1-9]' || fail "virtnet_findings_events does not count the events"
echo "diagnose --from reports the past gap and exits 1; a fresh diagnose does not see it"

# A reload keeps the events.
kill -HUP "$EXPORTER_PID"
wait_for "the reload" grep -q 'configuration reloaded' "$WORK/exporter.log"
get /api/v1/findings | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert any(e["alert"] == "VirtnetVrrpMasterDownGap" for e in j["events"]), j["events"]' ||
  fail "the events did not survive a reload"
echo "a reload keeps the recent events"
echo "PASS"
