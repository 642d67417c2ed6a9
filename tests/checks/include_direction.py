#!/usr/bin/env python3
"""The include direction of the source tree (docs/development.md, "Layout").

Each folder may include only the folders below it:

  exporter/            main, app, flags, the collector registry: may include anything
  exporter/http/       -> scrape, config, findings, sources, common
  exporter/findings/   -> common
  collectors/<name>/   -> scrape, sources, common, its own folder, and other collectors' pure
                          parsers (*_parse.h)
  exporter/config/     -> scrape, sources, common
  exporter/scrape/     -> sources, common
  exporter/sources/    -> common
  exporter/common/     -> common

So data flows one way: http -> scrape -> collectors -> sources, and no collector includes the
HTTP layer. Prints every include that breaks a rule and exits 1; exit 0 when there is none.
Every header of the project's is included by its path from the source root ("exporter/...",
"collectors/..."), so that none escapes the check. Usage: include_direction.py SRC_DIR; with
--self-test, it first checks that it refuses each of four planted violations.
"""
import re
import sys
from pathlib import Path

ALLOWED = {
    "exporter": None,  # the app: anything
    "exporter/http": {"exporter/http", "exporter/scrape", "exporter/config", "exporter/findings",
                      "exporter/sources", "exporter/common"},
    "exporter/findings": {"exporter/findings", "exporter/common"},
    "collectors": {"exporter/scrape", "exporter/sources", "exporter/common"},
    "exporter/config": {"exporter/config", "exporter/scrape", "exporter/sources", "exporter/common"},
    "exporter/scrape": {"exporter/scrape", "exporter/sources", "exporter/common"},
    "exporter/sources": {"exporter/sources", "exporter/common"},
    "exporter/common": {"exporter/common"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]')


def layer(path: str) -> str:
    parts = path.split("/")
    if parts[0] == "collectors":
        return "collectors"
    if len(parts) == 2:
        return "exporter"
    return "/".join(parts[:2])


def allowed(src: str, target: str) -> bool:
    src_layer = layer(src)
    rule = ALLOWED[src_layer]
    if rule is None:
        return True
    if src_layer == "collectors":
        own = "/".join(src.split("/")[:2])
        if target.startswith(own + "/"):
            return True
        if target.startswith("collectors/"):
            return target.endswith("_parse.h")  # pure parsers are shared; collectors are not
    target_dir = "/".join(target.split("/")[:2]) if target.startswith("exporter/") else target
    if target.startswith("exporter/") and target.count("/") == 1:
        target_dir = "exporter"
    return target_dir in rule


def check(root: Path) -> int:
    bad = []
    files = 0
    for top in ("exporter", "collectors"):
        for f in sorted((root / top).rglob("*")):
            if f.suffix not in (".h", ".cc"):
                continue
            files += 1
            rel = f.relative_to(root).as_posix()
            for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                quoted, target = m.group(1) == '"', m.group(2)
                ours = target.startswith("exporter/") or target.startswith("collectors/")
                if quoted and not ours:
                    # Every header of ours is named from the source root, so that this check sees it.
                    bad.append(f"{rel}:{n}: include \"{target}\" by its path from the source root")
                    continue
                if not ours:
                    continue  # a system or library header
                if not allowed(rel, target):
                    bad.append(f"{rel}:{n}: {layer(rel)} may not include {target}")
    for b in bad:
        print(b)
    if files == 0:
        print(f"no source files under {root}")
        return 1
    if bad:
        print(f"include_direction: {len(bad)} include(s) against the layering")
        return 1
    print(f"include_direction: {files} files, every include runs downwards")
    return 0


def self_test() -> bool:
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        t = Path(d)
        (t / "exporter/sources").mkdir(parents=True)
        (t / "collectors/x").mkdir(parents=True)
        (t / "collectors/x/x_collector.cc").write_text('#include "exporter/http/http_server.h"\n')
        (t / "exporter/sources/s.cc").write_text('#include "collectors/x/x_parse.h"\n')
        (t / "exporter/sources/r.cc").write_text('#include <exporter/scrape/scraper.h>\n')
        (t / "exporter/sources/q.cc").write_text('#include "../scrape/scraper.h"\n')
        print("self-test (four planted violations expected):")
        import contextlib
        import io
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = check(t)
        print(out.getvalue(), end="")
        found = out.getvalue()
        return rc == 1 and all(f in found for f in (
            "x_collector.cc:1", "sources/s.cc:1", "sources/r.cc:1", "sources/q.cc:1"))


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--self-test"]
    if "--self-test" in sys.argv and not self_test():
        print("include_direction: the self-test tree was not refused")
        return 1
    return check(Path(args[0] if args else "."))


if __name__ == "__main__":
    sys.exit(main())
