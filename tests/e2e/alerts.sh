#!/usr/bin/env bash
# The shipped alert rules: the file is what `virtnet_exporter rules` prints (the definitions
# diagnose evaluates), promtool checks it and runs its unit tests, and every alert has a runbook.
# --update rewrites alerts/virtnet.rules.yml from the binary.
source "$(dirname "$0")/lib.sh"
RULES="$SRC_DIR/alerts/virtnet.rules.yml"
if [[ "${1:-}" == "--update" ]]; then
  "$EXPORTER" rules >"$RULES"
  echo "updated $RULES"
  exit 0
fi
"$EXPORTER" rules >"$WORK/rules.yml"
diff -u "$RULES" "$WORK/rules.yml" >"$WORK/diff" ||
  fail "alerts/virtnet.rules.yml is not what the definitions give (tests/e2e/alerts.sh --update): $(cat "$WORK/diff")"
promtool check rules "$RULES" >"$WORK/check" 2>&1 || fail "promtool check rules: $(cat "$WORK/check")"
(cd "$SRC_DIR/alerts" && promtool test rules virtnet.rules.test.yml) >"$WORK/test" 2>&1 ||
  fail "promtool test rules: $(cat "$WORK/test")"
# The overrides example: what it gives is valid rules, and the deliberate bond0 stays silent while
# another link's mismatch pages (tests/alerts/overrides.test.yml).
"$EXPORTER" rules --rules.overrides "$SRC_DIR/alerts/overrides.example.yml" >"$WORK/overridden.rules.yml" ||
  fail "rules --rules.overrides alerts/overrides.example.yml failed"
promtool check rules "$WORK/overridden.rules.yml" >"$WORK/check" 2>&1 || fail "promtool check rules (overridden): $(cat "$WORK/check")"
cp "$SRC_DIR/tests/alerts/overrides.test.yml" "$WORK/"
(cd "$WORK" && promtool test rules overrides.test.yml) >"$WORK/test" 2>&1 ||
  fail "promtool test rules (overridden): $(cat "$WORK/test")"
n=0
for a in $(awk '/- alert:/ {print $3}' "$RULES"); do
  page="$SRC_DIR/docs/runbooks/$a.md"
  [[ -s "$page" ]] || fail "no runbook docs/runbooks/$a.md"
  # The headings prometheus-operator's runbooks use, once each, in their order.
  headings=$(grep -E '^## ' "$page" | tr '\n' '|')
  [[ "$headings" == "## Meaning|## Impact|## Diagnosis|## Mitigation|" ]] ||
    fail "docs/runbooks/$a.md: headings are '$headings', not Meaning, Impact, Diagnosis, Mitigation"
  head -1 "$page" | grep -qE "^# $a \((critical|warning|info)\)$" || fail "docs/runbooks/$a.md: title is not '# $a (severity)'"
  grep -q "alertname: $a\$" "$SRC_DIR/alerts/virtnet.rules.test.yml" || fail "alert $a has no promtool test"
  grep -q "\`$a\`" "$SRC_DIR/docs/alerts.md" || fail "docs/alerts.md does not list $a"
  n=$((n + 1))
done
# And no runbook without its alert (one left behind by a removed definition).
runbooks=$(find "$SRC_DIR/docs/runbooks" -name '*.md' | wc -l)
[[ $n -eq $runbooks ]] || fail "$n alerts but $runbooks runbooks"
echo "alerts: $n rules match the definitions, promtool check and test pass (the overrides example too), each has a runbook with its four headings"
