#!/usr/bin/env python3
"""Where virtnet_exporter's resident memory goes, on the synthetic hypervisor.

For each N the synthetic host is built (bench/synth_host.py), the exporter is started in it with
every collector on (as bench/run.py's virtnet_gzip row) and scraped SCRAPES times with
Accept-Encoding: gzip; then, at rest: VmRSS and VmHWM, the anonymous, file-backed and shared
parts (/proc/PID/status), and the mappings holding the most (/proc/PID/smaps, by Rss). With
--malloc-stats, glibc's malloc_stats() of the process too (through gdb; it prints to the
exporter's stderr, which is shown). Needs root.
  python3 bench/memory.py [--vms 200,800] [--scrapes 100] [--build-dir build-release]
"""

import argparse
import collections
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402
import synth_host  # noqa: E402


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                out[k] = int(v.split()[0])
    return out


def mappings(pid):
    """KiB resident per mapping name ([heap], [stack], a library, "anonymous")."""
    rss = collections.Counter()
    name = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and len(parts) >= 5 and not parts[0].endswith(":"):
                name = os.path.basename(parts[5]) if len(parts) > 5 else "anonymous"
            elif parts[0] == "Rss:":
                rss[name] += int(parts[1])
    return rss


def anonymous_mappings(pid):
    """(size, resident KiB, name) of each anonymous mapping, the most resident first."""
    out = []
    cur = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and not parts[0].endswith(":"):
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                cur = [hi - lo, 0, parts[5] if len(parts) > 5 else "", parts[1]]
                out.append(cur)
            elif parts[0] == "Rss:":
                cur[1] = int(parts[1])
    return sorted(((s, k, f"{n} {p}") for s, k, n, p in out if not n or n.startswith("[")),
                  key=lambda t: -t[1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default="build-release")
    ap.add_argument("--vms", default="200,800")
    ap.add_argument("--scrapes", type=int, default=100)
    ap.add_argument("--top", type=int, default=14)
    ap.add_argument("--malloc-stats", action="store_true")
    ap.add_argument("--anonymous", action="store_true", help="each anonymous mapping")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "out"))
    ap.add_argument("args", nargs="*", help="more exporter flags")
    a = ap.parse_args()
    for vms in (int(v) for v in a.vms.split(",")):
        with synth_host.SyntheticHost(vms, a.build_dir):
            workdir = os.path.join(a.out, "logs", f"memory-{vms}")
            os.makedirs(workdir, exist_ok=True)
            e = run.Exporter("virtnet_gzip", [
                os.path.join(a.build_dir, "virtnet_exporter"),
                "--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
                *run.EVERY_COLLECTOR, *a.args], gzip_ok=True)
            e.start(workdir)
            try:
                for _ in range(a.scrapes):
                    run.scrape(e.port, e.path, True)
                time.sleep(0.2)
                st = status(e.proc.pid)
                print(f"N = {vms}, after {a.scrapes} gzip scrapes: VmRSS {st['VmRSS'] / 1024:.1f} "
                      f"MiB (anonymous {st['RssAnon'] / 1024:.1f}, file-backed "
                      f"{st['RssFile'] / 1024:.1f}, shared {st['RssShmem'] / 1024:.1f}); "
                      f"VmHWM {st['VmHWM'] / 1024:.1f} MiB")
                for name, kib in mappings(e.proc.pid).most_common(a.top):
                    print(f"  {kib / 1024:6.2f} MiB  {name}")
                if a.anonymous:
                    for size, kib, what in anonymous_mappings(e.proc.pid)[:a.top]:
                        print(f"  anonymous {size / 1024:8.0f} KiB mapped, {kib:6d} KiB resident  {what}")
                if a.malloc_stats:
                    log = os.path.join(workdir, "virtnet_gzip.log")
                    start = os.path.getsize(log)
                    subprocess.run(["gdb", "-batch", "-p", str(e.proc.pid), "-ex",
                                    "call (void)malloc_stats()", "-ex",
                                    "call (int)malloc_info(0, (void*)stderr)"],
                                   capture_output=True)
                    with open(log) as f:
                        f.seek(start)
                        print("  malloc_stats():\n    " + f.read().strip().replace("\n", "\n    "))
            finally:
                e.stop()


if __name__ == "__main__":
    main()
