#!/usr/bin/env python3
"""virtnet_exporter side by side with node_exporter and process-exporter on a synthetic hypervisor.

For each N (number of VMs) the synthetic host is built (bench/synth_host.py), the exporters and the
floor program are started inside its network namespace, and they are scraped in interleaved rounds
(A B C D A B C D ...), each for the same wall time per round, so the noise of a shared machine
falls on all of them alike. Per exporter: median scrape latency, CPU ms per scrape (utime+stime
from the exporter's own /proc/PID/stat over all its scrapes), peak RSS, series and bytes per scrape.
Then the ratios, and the slope of CPU per scrape over N.

Needs root (network namespaces, reading every process). One command: `bash bench/run.sh`.
"""

import argparse
import gzip
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synth_host  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
NODE_EXPORTER = "prometheus-node-exporter"
PROCESS_EXPORTER = "prometheus-process-exporter"

EVERY_COLLECTOR = ["--collector.vrrp", "--collector.bpdu"]  # with the defaults

PROCESS_EXPORTER_CONFIG = """\
process_names:
  - name: "{{.Comm}}"
    cmdline:
    - '.+'
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14, 15)


def rss_bytes(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def scrape(port, path, gzip_ok=False):
    """Returns (seconds, body as sent, body decoded)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    resp = conn.getresponse()
    body = resp.read()
    elapsed = time.perf_counter() - t0
    conn.close()
    if resp.status != 200:
        raise RuntimeError(f"port {port}{path}: HTTP {resp.status}")
    sent = body
    if resp.getheader("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return elapsed, sent, body


class Exporter:
    def __init__(self, name, argv, path="/metrics", gzip_ok=False):
        self.name, self.argv, self.path, self.gzip_ok = name, argv, path, gzip_ok
        self.port = None
        self.proc = None
        self.latencies = []
        self.cpu = 0.0
        self.scrapes = 0
        self.rss = 0
        self.series = 0
        self.evaluations = []
        self.bytes = 0
        self.scrapes_uncounted = 0
        self.rss_rest = None
        self.rss_peak = None

    def start(self, workdir):
        self.port = free_port()
        # `ip netns exec` also remounts /sys for the namespace (setns alone would leave the
        # host's /sys/class/net in view), then execs in place: the PID is the exporter's.
        argv = ["ip", "netns", "exec", synth_host.NETNS] + [
            a.replace("{port}", str(self.port)) for a in self.argv]
        log = open(os.path.join(workdir, f"{self.name}.log"), "w")
        self.proc = subprocess.Popen(argv, stdout=log, stderr=log,
                                     preexec_fn=synth_host.die_with_parent)
        deadline = time.monotonic() + 30
        while True:
            try:
                scrape(self.port, self.path)
                break
            except (OSError, RuntimeError, http.client.HTTPException):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} did not start: {argv}")
                time.sleep(0.1)
        for _ in range(2):  # warm caches and lazy initialisation before measuring
            scrape(self.port, self.path)

    def round(self, seconds, min_scrapes):
        cpu0 = cpu_seconds(self.proc.pid)
        t_end = time.monotonic() + seconds
        n = 0
        while n < min_scrapes or time.monotonic() < t_end:
            elapsed, sent, body = scrape(self.port, self.path, self.gzip_ok)
            self.latencies.append(elapsed)
            n += 1
        self.cpu += cpu_seconds(self.proc.pid) - cpu0
        self.scrapes += n
        self.rss = max(self.rss, rss_bytes(self.proc.pid))
        self.bytes = len(sent)
        self.series = sum(1 for line in body.split(b"\n") if line and not line.startswith(b"#"))
        # The findings' last evaluation (virtnet evaluates a full scrape at least 1 s after the
        # one before, after answering it): its cost next to a scrape's.
        for line in body.split(b"\n"):
            if line.startswith(b"virtnet_findings_evaluation_duration_seconds "):
                self.evaluations.append(float(line.split()[1]) * 1000)

    def settle(self, scrapes):
        """Scraped until `scrapes` in all (not counted in CPU), then the memory at rest and the
        peak: what a host pays between scrapes, and what a memory limit must allow."""
        while self.scrapes < scrapes:
            scrape(self.port, self.path, self.gzip_ok)
            self.scrapes_uncounted += 1
            self.scrapes += 1
        self.rss_rest = rss_bytes(self.proc.pid)
        self.rss_peak = rss_bytes(self.proc.pid, "VmHWM")

    def stop(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()

    def result(self):
        return {
            "median_latency_ms": statistics.median(self.latencies) * 1000,
            "cpu_ms_per_scrape": self.cpu / (self.scrapes - self.scrapes_uncounted) * 1000,
            "cpu_ticks_total": round(self.cpu * TICK),
            "scrapes": self.scrapes,
            "rss_after_100_scrapes_bytes": self.rss_rest,
            "rss_peak_bytes": self.rss_peak,
            "rss_bytes": self.rss,
            "series": self.series,
            "bytes_per_scrape": self.bytes,
            "findings_evaluation_ms": (statistics.median(self.evaluations)
                                       if self.evaluations else None),
        }


def exporters(build_dir, workdir):
    cfg = os.path.join(workdir, "process-exporter.yml")
    with open(cfg, "w") as f:
        f.write(PROCESS_EXPORTER_CONFIG)
    return [
        # Every collector on: the defaults, and vrrp and bpdu (off by default: they need
        # CAP_NET_RAW), as on a network node.
        Exporter("virtnet", [os.path.join(build_dir, "virtnet_exporter"),
                             "--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
                             *EVERY_COLLECTOR]),
        Exporter("node_exporter", [NODE_EXPORTER, "--web.listen-address=127.0.0.1:{port}",
                                   "--collector.disable-defaults", "--collector.netdev",
                                   "--collector.netclass", "--collector.sockstat",
                                   "--collector.filefd"]),
        # -gather-smaps=false: smaps walks page tables under the target's mmap lock; virtnet
        # reads status/statm by default, so the stricter comparison leaves smaps out here too.
        Exporter("process_exporter", [PROCESS_EXPORTER, "-web.listen-address=127.0.0.1:{port}",
                                      "-config.path", cfg, "-threads=true",
                                      "-gather-smaps=false"]),
        Exporter("floor", [os.path.join(build_dir, "bench", "floor"), "{port}"], path="/"),
        # The process collector alone, and the floor for exactly its reads (issue: within 1.5x).
        Exporter("virtnet_process", [os.path.join(build_dir, "virtnet_exporter"),
                                     "--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
                                     "--collector.disable-defaults", "--collector.process"]),
        Exporter("floor_process", [os.path.join(build_dir, "bench", "floor"), "{port}",
                                   "process"], path="/"),
        # The same defaults, scraped as Prometheus does (Accept-Encoding: gzip): KiB/scrape is
        # what crosses the wire.
        Exporter("virtnet_gzip", [os.path.join(build_dir, "virtnet_exporter"),
                                  "--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
                                  *EVERY_COLLECTOR],
                 gzip_ok=True),
        # The qemu collector alone, and the floor for exactly its reads (issue: a quarter of
        # process-exporter with threads on, within 1.5x of the floor).
        Exporter("virtnet_qemu", [os.path.join(build_dir, "virtnet_exporter"),
                                  "--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
                                  "--collector.disable-defaults", "--collector.qemu"]),
        Exporter("floor_qemu", [os.path.join(build_dir, "bench", "floor"), "{port}", "qemu"],
                 path="/"),
        # The links collector alone against node_exporter's link collectors alone (issue: a
        # tenth at most): one netlink dump against /sys/class/net file by file.
        # Each remaining default collector alone, and none (the exporter's own series): with
        # virtnet_process, virtnet_qemu and virtnet_links, the per-collector table.
        *[Exporter(f"virtnet_{c}", [os.path.join(build_dir, "virtnet_exporter"),
                                    "--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
                                    "--collector.disable-defaults"] +
                   ([f"--collector.{c}"] if c != "none" else []))
          for c in ("sockstat", "console", "vrrp", "bpdu", "none")],
        Exporter("virtnet_links", [os.path.join(build_dir, "virtnet_exporter"),
                                   "--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
                                   "--collector.disable-defaults", "--collector.links"]),
        Exporter("node_exporter_links", [NODE_EXPORTER, "--web.listen-address=127.0.0.1:{port}",
                                         "--collector.disable-defaults", "--collector.netdev",
                                         "--collector.netclass"]),
    ]


def measure(vms, build_dir, rounds, seconds, min_scrapes, out, only=()):
    with synth_host.SyntheticHost(vms, build_dir):
        workdir = os.path.join(out, "logs", str(vms))  # the exporters' own logs, kept for a look
        os.makedirs(workdir, exist_ok=True)
        exps = [e for e in exporters(build_dir, workdir) if not only or e.name in only]
        try:
            for e in exps:
                e.start(workdir)
            for _ in range(rounds):
                for e in exps:  # interleaved: A B C D, A B C D, ...
                    e.round(seconds, min_scrapes)
            for e in exps:
                if e.name.startswith("virtnet"):
                    e.settle(100)
        finally:
            for e in exps:
                e.stop()
        return {e.name: e.result() for e in exps}


def ratio(a, b):
    return a / b if b else float("nan")


def ratios(run):
    v, n, p, f = (run[k] for k in ("virtnet", "node_exporter", "process_exporter", "floor"))
    out = {}
    for key in ("cpu_ms_per_scrape", "median_latency_ms", "rss_bytes", "series",
                "bytes_per_scrape"):
        out[key] = {
            "virtnet/node_exporter": ratio(v[key], n[key]),
            "virtnet/process_exporter": ratio(v[key], p[key]),
            "virtnet/(both)": ratio(v[key], n[key] + p[key]),
        }
    out["cpu_ms_per_scrape"]["virtnet/floor"] = ratio(v["cpu_ms_per_scrape"],
                                                      f["cpu_ms_per_scrape"])
    vp, fp = run["virtnet_process"], run["floor_process"]
    out["process_collector_cpu"] = {
        "virtnet_process/process_exporter": ratio(vp["cpu_ms_per_scrape"], p["cpu_ms_per_scrape"]),
        "virtnet_process/floor_process": ratio(vp["cpu_ms_per_scrape"], fp["cpu_ms_per_scrape"]),
    }
    vq, fq = run["virtnet_qemu"], run["floor_qemu"]
    out["qemu_collector"] = {
        "cpu virtnet_qemu/process_exporter": ratio(vq["cpu_ms_per_scrape"], p["cpu_ms_per_scrape"]),
        "cpu virtnet_qemu/floor_qemu": ratio(vq["cpu_ms_per_scrape"], fq["cpu_ms_per_scrape"]),
    }
    vl, nl = run["virtnet_links"], run["node_exporter_links"]
    vg = run["virtnet_gzip"]
    out["targets"] = {  # issue 20's, every default collector on
        "cpu virtnet/floor": ratio(v["cpu_ms_per_scrape"], f["cpu_ms_per_scrape"]),
        "cpu virtnet/(node_exporter+process_exporter)": ratio(
            v["cpu_ms_per_scrape"], n["cpu_ms_per_scrape"] + p["cpu_ms_per_scrape"]),
        "median latency virtnet/node_exporter_links": ratio(v["median_latency_ms"],
                                                            nl["median_latency_ms"]),
        "virtnet_gzip MiB at rest after 100 scrapes": (vg["rss_after_100_scrapes_bytes"] or 0)
        / 2**20,
        "virtnet_gzip MiB peak": (vg["rss_peak_bytes"] or 0) / 2**20,
    }
    out["links_collector"] = {
        "cpu virtnet_links/node_exporter_links": ratio(vl["cpu_ms_per_scrape"],
                                                       nl["cpu_ms_per_scrape"]),
        "series virtnet_links/node_exporter_links": ratio(vl["series"], nl["series"]),
    }
    return out


def slope(points):
    """Least-squares slope of (x, y) points."""
    xs, ys = zip(*points)
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else float("nan")


def scaling(runs):
    ns = sorted(runs)
    out = {}
    for name in runs[ns[0]]:
        pts = [(n, runs[n][name]["cpu_ms_per_scrape"]) for n in ns]
        entry = {"cpu_ms_per_vm": slope(pts) if len(pts) > 1 else float("nan")}
        if len(ns) >= 3:
            # Linear growth keeps the per-VM increment of the last step equal to the first's.
            (n0, c0), (n1, c1), (n2, c2) = pts[0], pts[len(pts) // 2], pts[-1]
            first = (c1 - c0) / (n1 - n0)
            entry["last_step_over_first_step"] = ratio((c2 - c1) / (n2 - n1), first)
        out[name] = entry
    return out


def table(runs, rats, scal):
    lines = []
    for n in sorted(runs):
        lines.append(f"\nN = {n} VMs")
        lines.append(f"{'exporter':<20}{'median ms':>10}{'CPU ms/scrape':>15}{'RSS MiB':>9}"
                     f"{'rest/peak':>11}{'series':>8}{'KiB/scrape':>11}{'scrapes':>9}")
        for name, r in runs[n].items():
            rest = (f"{r['rss_after_100_scrapes_bytes'] / 2**20:.1f}/"
                    f"{r['rss_peak_bytes'] / 2**20:.1f}" if r["rss_peak_bytes"] else "")
            lines.append(f"{name:<20}{r['median_latency_ms']:>10.2f}{r['cpu_ms_per_scrape']:>15.3f}"
                         f"{r['rss_bytes'] / 2**20:>9.1f}{rest:>11}{r['series']:>8}"
                         f"{r['bytes_per_scrape'] / 1024:>11.1f}{r['scrapes']:>9}")
        evals = [f"{name} {r['findings_evaluation_ms']:.2f} ms ({r['findings_evaluation_ms'] / r['cpu_ms_per_scrape']:.3f} of its CPU a scrape)"
                 for name, r in runs[n].items() if r.get("findings_evaluation_ms") is not None
                 and r["series"] > 1000]
        if evals:
            lines.append("findings evaluation (median): " + "; ".join(evals))
        lines.append("ratios: " + "; ".join(
            f"{k}: " + ", ".join(f"{rk} {rv:.3f}" for rk, rv in v.items())
            for k, v in rats[n].items()
            if k in ("series", "process_collector_cpu", "qemu_collector", "targets")))
    if scal:
        lines.append("\nCPU ms per scrape per VM (least-squares slope over N):")
        for name, s in scal.items():
            extra = (f", last step / first step {s['last_step_over_first_step']:.2f}"
                     if "last_step_over_first_step" in s else "")
            lines.append(f"  {name:<17}{s['cpu_ms_per_vm'] * 1000:>9.2f} us/VM{extra}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default="build-release")
    ap.add_argument("--vms", default="50,200,800", help="comma-separated N values")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=2.0, help="per exporter per round")
    ap.add_argument("--min-scrapes", type=int, default=5, help="per exporter per round")
    ap.add_argument("--quick", action="store_true", help="N=50, 2 rounds of 1 s (ctest)")
    ap.add_argument("--only", default="", help="comma-separated exporter names (default: all)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "out"))
    args = ap.parse_args()
    if args.quick:
        args.vms, args.rounds, args.seconds = "50", 2, 1.0
    if os.geteuid() != 0:
        sys.exit("bench: needs root (network namespaces, every process's /proc)")
    synth_host.install_signal_teardown()
    runs = {}
    for n in [int(x) for x in args.vms.split(",")]:
        print(f"bench: N={n} ...", flush=True)
        # The client joins the namespace (after it exists) to reach the exporters' loopback.
        runs[n] = measure(n, os.path.abspath(args.build_dir), args.rounds, args.seconds,
                          args.min_scrapes, args.out,
                          [x for x in args.only.split(",") if x])
    rats = {n: ratios(r) for n, r in runs.items()} if not args.only else {n: {} for n in runs}
    scal = scaling(runs) if len(runs) > 1 else {}
    print(table(runs, rats, scal))
    os.makedirs(args.out, exist_ok=True)
    result = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": {"kernel": platform.release(), "cpus": os.cpu_count()},
        "config": vars(args),
        "runs": runs, "ratios": rats, "scaling": scal,
    }
    path = os.path.join(args.out, "results.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    print(f"\nwrote {path}")
    # Sanity: every exporter answered with series, or the comparison means nothing.
    bad = [f"N={n} {name}" for n, r in runs.items() for name, v in r.items() if v["series"] == 0]
    if bad:
        sys.exit(f"bench: no series from {', '.join(bad)}")


if __name__ == "__main__":
    main()
