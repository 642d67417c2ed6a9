#!/usr/bin/env python3
"""Every metric family the exporter can emit is documented, and the docs name no other.

The families come from the collectors' declarations (tests/support/list_metrics prints them:
"COLLECTOR NAME TYPE"; the sink refuses an undeclared family at run time, so the declarations
are complete). For each collector, the metric table of docs/collectors/<name>.md (the table under
"## Metrics"; its first column, backticked names) must hold exactly its declared names, with the
declared type in the "type" column; the framework's own families ("exporter") the table under
"## Series every scrape carries" of docs/collectors/README.md. Then every virtnet_* name anywhere
in README.md and docs/ must be a declared family, or a prefix of one (ending in "_" or "*").
Usage: docs_metrics.py LIST_METRICS_BINARY SRC_DIR
"""
import re
import subprocess
import sys
from pathlib import Path

# Words that look like metric names and are not: the program, CMake targets, benchmark rows.
NOT_METRICS = {"virtnet_exporter", "virtnet_core", "virtnet_parsers", "virtnet_target_defaults",
               # bench/run.py's rows, named in docs/performance.md
               "virtnet_process", "virtnet_links", "virtnet_qemu", "virtnet_gzip", "virtnet_sockstat",
               "virtnet_console", "virtnet_vrrp", "virtnet_bpdu", "virtnet_none"}
NAME = re.compile(r"(?<![A-Za-z0-9_./-])virtnet_[a-z0-9_]*[a-z0-9_*]")


def declared(binary):
    out = subprocess.run([binary], capture_output=True, text=True, check=True).stdout
    by = {}
    for line in out.splitlines():
        who, name, kind = line.split()
        by.setdefault(who, {})[name] = kind
    return by


def table(path, heading):
    """{name: type} from the first column of the tables under `heading`, until the next ##."""
    rows, inside, type_col = {}, False, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            inside = line.strip() == heading
            type_col = None
            continue
        if not inside or not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "metric":
            if "type" not in cells:
                raise SystemExit(f"{path}: a metric table under {heading} has no type column")
            type_col = cells.index("type")
            continue
        if type_col is None:
            raise SystemExit(f"{path}: a table under {heading} does not start with a "
                             "'| metric | type |' header")
        if set(cells[0]) <= set("-: "):
            continue
        for name in re.findall(r"`([a-z_][a-z0-9_]*)`", cells[0]):
            rows[name] = cells[type_col] if type_col is not None else None
    return rows


def main():
    binary, src = sys.argv[1], Path(sys.argv[2])
    by = declared(binary)
    problems = []
    everything = set()
    for who, names in sorted(by.items()):
        everything.update(names)
        if who == "exporter":
            page, heading = src / "docs/collectors/README.md", "## Series every scrape carries"
        else:
            page, heading = src / f"docs/collectors/{who}.md", "## Metrics"
        if not page.exists():
            problems.append(f"{who}: no page {page.relative_to(src)}")
            continue
        documented = table(page, heading)
        where = f"{page.relative_to(src)} ({heading[3:]})"
        for n in sorted(set(names) - set(documented)):
            problems.append(f"{where}: {n} is emitted by {who} and not documented")
        for n in sorted(set(documented) - set(names)):
            problems.append(f"{where}: {n} is documented and {who} does not emit it")
        for n in sorted(set(names) & set(documented)):
            if documented[n] is not None and documented[n] != names[n]:
                problems.append(f"{where}: {n} is a {names[n]}, documented as {documented[n]}")
    if len(everything) < 20:
        problems.append(f"only {len(everything)} families declared: list_metrics is off")
    pages = [src / "README.md"] + sorted((src / "docs").rglob("*.md"))
    for page in pages:
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            for word in NAME.findall(line):
                if word in NOT_METRICS or word in everything:
                    continue
                stem = word.rstrip("*")
                if stem.endswith("_") and any(e.startswith(stem) for e in everything):
                    continue
                problems.append(f"{page.relative_to(src)}:{n}: {word} is no metric the exporter has")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"docs_metrics: {len(everything)} families in {len(by)} declarations, each documented; "
          f"{len(pages)} pages name no other")
    return 0


if __name__ == "__main__":
    sys.exit(main())
