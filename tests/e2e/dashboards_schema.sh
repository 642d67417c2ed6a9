#!/usr/bin/env bash
# The shipped Grafana dashboards against Grafana's own schema, without Grafana: tsc (npm
# typescript) checks each dashboard, verbatim, against the Dashboard type of @grafana/schema
# (versions pinned in tests/dashboards/package-lock.json; npm is used by this test only). A copy
# with three planted errors must fail, naming each, so the check is known to bite.
source "$(dirname "$0")/lib.sh"
command -v npm >/dev/null || fail "npm not installed (bash scripts/deps.sh --test)"
NPM_DIR="$BUILD_DIR/dashboards-schema"
mkdir -p "$NPM_DIR"
cp "$SRC_DIR/tests/dashboards/package.json" "$SRC_DIR/tests/dashboards/package-lock.json" "$NPM_DIR/"
# Installed once per lock file: a stamp holds the hash of the lock file npm ci last installed.
want=$(sha256sum <"$NPM_DIR/package-lock.json")
if [[ "$(cat "$NPM_DIR/installed.stamp" 2>/dev/null)" != "$want" ||
  ! -x "$NPM_DIR/node_modules/.bin/tsc" ]]; then
  (cd "$NPM_DIR" && npm ci --no-audit --no-fund --loglevel=error) >"$WORK/npm.log" 2>&1 ||
    fail "npm ci: $(tail -5 "$WORK/npm.log")"
  echo "$want" >"$NPM_DIR/installed.stamp"
fi
# Imported as JSON, every string would widen and good dashboards fail: the JSON goes verbatim
# into a TypeScript file, `satisfies` on its last line so line numbers stay those of the JSON
# plus two.
# The schema's string enums (ThresholdsMode, FieldColorModeId, ...) are nominal in TypeScript: a
# JSON string can never be one. AsJson<Dashboard> is the same type with each enum as the union of
# its values (`${E}`), which is what Grafana reads from the JSON; everything else is unchanged.
as_ts() {
  echo "import type { Dashboard } from '@grafana/schema';"
  echo 'type AsJson<T> = T extends string ? `${T}` : T extends object ? { [K in keyof T]: AsJson<T[K]> } : T;'
  printf 'export const d = '
  sed -e '$ s/$/ satisfies AsJson<Dashboard>;/' "$1"
}
tsc() {
  (cd "$NPM_DIR" && ./node_modules/.bin/tsc --noEmit --strict --module nodenext \
    --moduleResolution nodenext "$@")
}
n=0
for d in "$SRC_DIR"/dashboards/*.json; do
  name=$(basename "$d" .json)
  as_ts "$d" >"$NPM_DIR/$name.ts"
  tsc "$name.ts" >"$WORK/tsc.out" 2>&1 || fail "$name.json against @grafana/schema: $(cat "$WORK/tsc.out")"
  n=$((n + 1))
done
[[ $n -ge 1 ]] || fail "no dashboards found"
# Planted: a variable type that does not exist, a panel height given as a string, and a
# thresholds mode that is none of its enum's values.
as_ts "$SRC_DIR/dashboards/virtnet-overview.json" |
  sed -e '0,/"type": "datasource"/s//"type": "datasauce"/' -e '0,/"h": 8,/s//"h": "8",/' \
    -e '0,/"mode": "absolute"/s//"mode": "absolut"/' \
    >"$NPM_DIR/planted.ts"
if tsc planted.ts >"$WORK/tsc.out" 2>&1; then fail "tsc accepted a dashboard with planted errors"; fi
grep -q "datasauce" "$WORK/tsc.out" && grep -q "not assignable to type 'number'" "$WORK/tsc.out" &&
  grep -q '"absolut"' "$WORK/tsc.out" || fail "tsc did not name the three planted errors: $(cat "$WORK/tsc.out")"
echo "dashboards: $n checked against @grafana/schema $(cd "$NPM_DIR" && node -p 'require("./node_modules/@grafana/schema/package.json").version') with tsc; planted errors caught"
