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
n=0
for a in $(awk '/- alert:/ {print $3}' "$RULES"); do
  [[ -s "$SRC_DIR/docs/runbooks/$a.md" ]] || fail "no runbook docs/runbooks/$a.md"
  grep -q "$a" "$SRC_DIR/alerts/virtnet.rules.test.yml" || fail "alert $a has no promtool test"
  n=$((n + 1))
done
# And no runbook without its alert (one left behind by a removed definition).
runbooks=$(find "$SRC_DIR/docs/runbooks" -name '*.md' | wc -l)
[[ $n -eq $runbooks ]] || fail "$n alerts but $runbooks runbooks"
# Dashboards: valid JSON, and every metric a panel queries is one the exporter exports (seen in a
# golden output). Grafana's own schema is checked by e2e_dashboards_schema.
for d in "$SRC_DIR"/dashboards/*.json; do
  /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$d" || fail "$d is not JSON"
  for m in $(grep -o '"expr": "[^"]*' "$d" | grep -o 'virtnet_[a-z_]*' | sort -u); do
    grep -q "^$m[{ ]" "$SRC_DIR"/tests/golden/*.metrics || fail "$(basename "$d") queries $m, which no golden output has"
  done
done
echo "alerts: $n rules match the definitions, promtool check and test pass, each has a runbook"
