#!/usr/bin/env python3
"""The shipped dashboards against the rules an operator's Grafana needs (grafana/dashboard-linter
is not packaged for Debian, so these are its rules, implemented here, and ours):

- dashboards/*.json are what dashboards/generate.py writes (no hand edit drifts);
- at least 5 boards; each has a Prometheus `datasource` variable and `job` and `instance`
  variables of type query, multi-select, with "All" as `.+`, refreshed on time-range change;
- every panel has a title, a description and a unit;
- every selector carries job=~"$job" and instance=~"$instance";
- every rate() and irate() is over [$__rate_interval];
- every counter (_total) is inside rate, irate or increase;
- every metric a panel names is one the exporter exports (from the list_metrics binary), or
  Prometheus' own `up`;
- every query parses as PromQL: promtool check rules on a rule file of all of them;
- the overview's stat panels turn red on a threshold and link to a detail board, and every
  detail board is linked.

usage: dashboards_lint.py LIST_METRICS_BINARY SRC_DIR
"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
PROMETHEUS_OWN = {"up"}


def exported(binary):
    out = subprocess.run([binary], capture_output=True, text=True, check=True).stdout
    names = set()
    for line in out.splitlines():
        _, name, kind = line.split()[:3]
        names.add(name)
        if kind == "histogram":
            names.update({name + "_bucket", name + "_sum", name + "_count"})
    return names | PROMETHEUS_OWN


def strip_strings(e):
    """The expression with string contents blanked, so label values are not read as names."""
    return re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: '"' + " " * (len(m.group()) - 2) + '"', e)


def check_expr(e, metrics, where, errors):
    bare = strip_strings(e)
    # Every name followed by { is a metric; its braces carry the two variables.
    for m in IDENT.finditer(bare):
        name, end = m.group(), m.end()
        followed = bare[end:end + 1]
        if followed == "{":
            close = e.index("}", end)
            inside = e[end + 1:close]
            if name not in metrics:
                errors.append(f"{where}: {name} is no metric the exporter exports")
            for var in ('job=~"$job"', 'instance=~"$instance"'):
                if var not in inside:
                    errors.append(f"{where}: {name}{{{inside}}} lacks {var}")
        elif name in metrics:
            errors.append(f"{where}: {name} without a selector")
    # Functions: a stack of the calls each character is inside.
    stack = []
    for i, c in enumerate(bare):
        if c == "(":
            m = re.search(r"([a-zA-Z_]+)\s*$", bare[:i])
            stack.append((m.group(1) if m else "", i))
        elif c == ")":
            fn, start = stack.pop()
            if fn in ("rate", "irate") and not bare[start:i].rstrip().endswith(
                    "[$__rate_interval]"):
                errors.append(f"{where}: {fn}() not over [$__rate_interval]: {e[start - len(fn):i + 1]}")
        elif bare.startswith("_total", i) and not IDENT.match(bare, i + 6):
            calls = [fn for fn, _ in stack if fn not in ("", "by", "on", "without", "ignoring")]
            if not calls or calls[-1] not in ("rate", "irate", "increase"):
                errors.append(f"{where}: a counter outside rate, irate or increase: {e}")


def check_board(name, d, metrics, errors, exprs, linked):
    """One board's rules; its queries are appended to exprs, the boards its stats open to linked."""
    variables = {v["name"]: v for v in d.get("templating", {}).get("list", [])}
    if variables.get("datasource", {}).get("type") != "datasource" or \
            variables["datasource"].get("query") != "prometheus":
        errors.append(f"{name}: no Prometheus datasource variable")
    for var in ("job", "instance"):
        v = variables.get(var, {})
        want = {"type": "query", "multi": True, "includeAll": True, "allValue": ".+",
                "refresh": 2}
        for k, val in want.items():
            if v.get(k) != val:
                errors.append(f"{name}: variable {var}: {k} is {v.get(k)!r}, not {val!r}")
        if v.get("datasource", {}).get("uid") != "${datasource}":
            errors.append(f"{name}: variable {var} does not query $datasource")
        q = v.get("query", {}).get("query", "")
        if "label_values(" not in q or var not in q:
            errors.append(f"{name}: variable {var}: not a label_values query: {q!r}")
    panels = [p for p in d["panels"] if p["type"] != "row"]
    if not panels:
        errors.append(f"{name}: no panels")
    for p in panels:
        where = f"{name}: panel {p.get('id')} {p.get('title')!r}"
        for k in ("title", "description"):
            if not p.get(k):
                errors.append(f"{where}: no {k}")
        if not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            errors.append(f"{where}: no unit")
        if not p.get("targets"):
            errors.append(f"{where}: no query")
        for t in p.get("targets", []):
            if t.get("datasource", {}).get("uid") != "${datasource}":
                errors.append(f"{where}: a query not on $datasource")
            check_expr(t["expr"], metrics, where, errors)
            exprs.append((where, t["expr"]))
        if d["uid"] == "virtnet-overview" and p["type"] == "stat":
            steps = p["fieldConfig"]["defaults"].get("thresholds", {}).get("steps", [])
            if not any(s.get("color") == "red" and s.get("value") is not None for s in steps):
                errors.append(f"{where}: a stat that never turns red")
            urls = [link.get("url", "") for link in p.get("links", [])]
            for u in urls:
                m = re.match(r"/d/([a-z0-9-]+)$", u)
                if m:
                    linked.add(m.group(1))
            if not urls:
                errors.append(f"{where}: a stat without a link to its board")


def planted_errors_caught(metrics, boards, errors):
    """The rules bite: a copy of a board with one error of each kind planted fails on each."""
    d = json.loads(boards[0].read_text())
    panels = [p for p in d["panels"] if p["type"] != "row"]
    planted = {
        "lacks job=~": 'virtnet_qemu_vms{instance=~"$instance"}',
        "not over [$__rate_interval]": 'rate(virtnet_link_receive_bytes_total{job=~"$job",'
                                       'instance=~"$instance"}[5m])',
        "a counter outside": 'virtnet_link_receive_bytes_total{job=~"$job",instance=~"$instance"}',
        "is no metric the exporter exports": 'virtnet_no_such{job=~"$job",instance=~"$instance"}',
        "without a selector": "virtnet_qemu_vms > 0",
    }
    for p, e in zip(panels, planted.values()):
        p["targets"][0]["expr"] = e
    panels[len(planted)]["description"] = ""
    panels[len(planted) + 1]["fieldConfig"]["defaults"].pop("unit")
    d["templating"]["list"][1]["allValue"] = ".*"
    got = []
    check_board("planted.json", d, metrics, got, [], set())
    for want in list(planted) + ["no description", "no unit", "allValue is '.*'"]:
        if not any(want in g for g in got):
            errors.append(f"the lint missed a planted error ({want}): it said {got}")


def promql_of(e):
    return (e.replace("$__rate_interval", "1m").replace("$__range", "1h")
            .replace("$__interval", "1m").replace("$job", ".+").replace("$instance", ".+"))


def main():
    binary, src = sys.argv[1], pathlib.Path(sys.argv[2])
    metrics = exported(binary)
    errors = []
    boards = sorted((src / "dashboards").glob("*.json"))
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(src / "dashboards/generate.py"), "--out", tmp],
                       check=True)
        made = sorted(p.name for p in pathlib.Path(tmp).glob("*.json"))
        if made != [b.name for b in boards]:
            errors.append(f"dashboards/ holds {[b.name for b in boards]}, generate.py writes {made}")
        for b in boards:
            if (pathlib.Path(tmp) / b.name).exists() and \
                    (pathlib.Path(tmp) / b.name).read_text() != b.read_text():
                errors.append(f"{b.name} is not what dashboards/generate.py writes (run it)")
    planted_errors_caught(metrics, boards, errors)
    if len(boards) < 5:
        errors.append(f"{len(boards)} dashboards, at least 5 wanted")
    uids, linked, exprs = set(), set(), []
    for b in boards:
        d = json.loads(b.read_text())
        uids.add(d["uid"])
        check_board(b.name, d, metrics, errors, exprs, linked)
    for uid in uids - {"virtnet-overview"} - linked:
        errors.append(f"the overview links to no panel of {uid}")
    for uid in linked - uids:
        errors.append(f"the overview links to {uid}, which is no dashboard")
    # PromQL: every query, as a recording rule, through promtool.
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
        rules = [{"record": f"dashboard:query_{i}", "expr": promql_of(e)}
                 for i, (_, e) in enumerate(exprs)]
        json.dump({"groups": [{"name": "dashboards", "rules": rules}]}, f)  # JSON is YAML
        f.flush()
        r = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True)
        if r.returncode != 0:
            out = r.stdout + r.stderr
            for m in re.finditer(r"dashboard:query_(\d+)", out):
                errors.append(f"{exprs[int(m.group(1))][0]}: promtool: {exprs[int(m.group(1))][1]}")
            errors.append("promtool check rules on the panels' queries: " + out.strip())
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print(f"dashboards: {len(boards)} boards, {len(exprs)} queries: variables, titles, "
          f"descriptions, units, selectors, $__rate_interval, counters, metrics, PromQL, links")


if __name__ == "__main__":
    main()
