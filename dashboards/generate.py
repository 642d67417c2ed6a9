#!/usr/bin/env python3
"""Writes the shipped Grafana dashboards (dashboards/*.json) from the short definitions below.

    python3 dashboards/generate.py            # rewrites dashboards/*.json
    python3 dashboards/generate.py --out DIR  # writes them to DIR (the lint test compares)

Every query is written with `{@}` (or `{@,label="x"}`) where the series' selector goes; `@`
becomes job=~"$job",instance=~"$instance", so no selector can forget either. Each panel states
its title, description and unit; the layout is computed (rows of panels, 24 columns wide).
"""
import argparse
import json
import pathlib

SELECTOR = 'job=~"$job",instance=~"$instance"'
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
BOARDS = {
    "overview": "virtnet-overview",
    "vrrp": "virtnet-vrrp",
    "instances": "virtnet-instances",
    "network": "virtnet-network",
    "sockets": "virtnet-sockets-processes",
}


def expr(text):
    return text.replace("{@}", "{" + SELECTOR + "}").replace("{@,", "{" + SELECTOR + ",")


def target(text, legend="", ref="A", instant=False):
    t = {"refId": ref, "datasource": DATASOURCE, "expr": expr(text), "legendFormat": legend}
    if instant:
        t.update({"format": "table", "instant": True})
    return t


def panel(kind, title, description, unit, targets, w=12, h=8, **extra):
    p = {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"h": h, "w": w, "x": 0, "y": 0},
        "targets": targets,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
    }
    p.update(extra)
    return p


def graph(title, description, unit, *queries, w=12):
    """A time series; each query is (expr, legend)."""
    refs = "ABCDEFGH"
    return panel("timeseries", title, description, unit,
                 [target(q, legend, refs[i]) for i, (q, legend) in enumerate(queries)], w=w)


def table(title, description, unit, query, w=12):
    return panel("table", title, description, unit, [target(query, instant=True)], w=w)


def stat(title, description, unit, query, board, red=1, w=4):
    """Green under `red`, red from it (the alert's condition); a click opens the detail board."""
    p = panel("stat", title, description, unit, [target(query, instant=True)], w=w, h=4)
    p["fieldConfig"]["defaults"]["thresholds"] = {
        "mode": "absolute",
        "steps": [{"color": "green", "value": None}, {"color": "red", "value": red}],
    }
    p["options"] = {"colorMode": "background", "graphMode": "none", "textMode": "value",
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    p["links"] = [link("Open the detail board", "/d/" + BOARDS[board])]
    return p


def link(title, url="", kind="link", tags=()):
    """A link that keeps the time range and the variables (Grafana's DashboardLink, in full)."""
    return {"title": title, "type": kind, "url": url, "tags": list(tags), "asDropdown": kind != "link",
            "includeVars": True, "keepTime": True, "icon": "external link", "targetBlank": False,
            "tooltip": title}


def row(title):
    return {"type": "row", "title": title, "collapsed": False, "panels": [],
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": 0}}


def layout(panels):
    x = y = row_h = 0
    for i, p in enumerate(panels, start=1):
        p["id"] = i
        g = p["gridPos"]
        if p["type"] == "row" or x + g["w"] > 24:
            x, y, row_h = 0, y + row_h, 0
        g["x"], g["y"] = x, y
        x += g["w"]
        row_h = max(row_h, g["h"])
        if p["type"] == "row":
            x, y, row_h = 0, y + g["h"], 0
    return panels


def variable_query(name, label, query):
    return {
        "name": name, "label": label, "type": "query", "datasource": DATASOURCE,
        "query": {"query": query, "refId": name},
        "includeAll": True, "multi": True, "allValue": ".+",
        "current": {"text": "All", "value": "$__all"},
        "refresh": 2,  # on time-range change
        "sort": 1,
    }


def dashboard(key, title, description, panels):
    return {
        "title": title,
        "uid": BOARDS[key],
        "description": description,
        "tags": ["virtnet"],
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "timezone": "browser",
        "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"},
        "links": [link("virtnet boards", kind="dashboards", tags=["virtnet"])],
        "templating": {"list": [
            {"name": "datasource", "label": "Data source", "type": "datasource",
             "query": "prometheus"},
            variable_query("job", "Job", "label_values(virtnet_scrape_collector_success, job)"),
            variable_query("instance", "Host",
                           'label_values(virtnet_scrape_collector_success{job=~"$job"}, instance)'),
        ]},
        "annotations": {"list": []},
        "panels": layout(panels),
    }


def overview():
    return dashboard("overview", "virtnet_exporter: incidents",
                     "One row per incident class; a red stat is an alert's condition holding. "
                     "Click a stat for its detail board.", [
        row("VRRP: the VIPs"),
        stat("Master-down gaps", "VirtnetVrrpMasterDownGap: a master silent past "
             "Master_Down_Interval in the time range (a backup took over).", "short",
             "sum(increase(virtnet_vrrp_master_down_gaps_total{@}[$__range])) or vector(0)", "vrrp"),
        stat("Routers with two masters", "VirtnetVrrpSplitBrain: routers more than one source "
             "advertises as master of, now.", "short",
             "count(virtnet_vrrp_masters{@} > 1) or vector(0)", "vrrp"),
        stat("Late advertisements", "VirtnetVrrpAdvertisementsLate: advertisements later than "
             "their interval in the time range.", "short",
             "sum(increase(virtnet_vrrp_late_advertisements_total{@}[$__range])) or vector(0)",
             "vrrp"),
        stat("Master changes", "VirtnetVrrpFlapping pages past 4 in 30 minutes; master changes "
             "in the time range.", "short",
             "sum(increase(virtnet_vrrp_master_changes_total{@}[$__range])) or vector(0)", "vrrp",
             red=5),
        row("Instances: qemu, libvirt, consoles"),
        stat("Netdevs in userspace", "VirtnetQemuNetdevUserspace: tap netdevs qemu serves "
             "without vhost-net.", "short",
             "count(virtnet_qemu_netdev_vhost{@} == 0) or vector(0)", "instances"),
        stat("Hosts without vhost-net", "VirtnetQemuVhostNetUnavailable: hosts that run VMs "
             "and have no /dev/vhost-net.", "short",
             "count((virtnet_qemu_vhost_net_device{@} == 0) and on(instance, job) "
             "(virtnet_qemu_vms{@} > 0)) or vector(0)", "instances"),
        stat("vCPUs waiting for a CPU", "VirtnetQemuVcpuRunQueueWait: instances whose vCPUs "
             "wait more than 0.25 s a second.", "short",
             "count(sum by (instance, job, domain) (rate(virtnet_qemu_run_queue_wait_seconds_total"
             "{@,class=\"vcpu\"}[$__rate_interval])) > 0.25) or vector(0)", "instances"),
        stat("Backing files missing", "VirtnetDiskBackingFileMissing: disks whose backing chain "
             "lost a file.", "short",
             "count(virtnet_libvirt_disk_backing_missing{@} == 1) or vector(0)", "instances"),
        stat("Paused on I/O error or crashed", "VirtnetDomainPausedIoError, "
             "VirtnetDomainCrashed: domains in those states.", "short",
             "count(virtnet_libvirt_domain_state{@,state=\"paused\",reason=\"ioerror\"} == 1 or "
             "virtnet_libvirt_domain_state{@,state=\"crashed\"} == 1) or vector(0)", "instances"),
        stat("Console logs over 1 GiB", "VirtnetConsoleLogLarge: console logs past 1 GiB.",
             "short", "count(virtnet_console_log_bytes{@} > 1073741824) or vector(0)",
             "instances"),
        row("Network: links and BPDUs"),
        stat("Links with negative headroom", "VirtnetLinkMtuHeadroomNegative: links whose "
             "full-size frames cannot leave.", "short",
             "count(virtnet_link_mtu_headroom_bytes{@} < 0) or vector(0)", "network"),
        stat("Stacked VLANs", "VirtnetLinkVlanStacked: links leaving with two VLAN tags.",
             "short", "count(virtnet_link_vlan_tags{@} > 1) or vector(0)", "network"),
        stat("MTU mismatches", "VirtnetLinkMtuMismatch: links whose MTU differs from their "
             "bridge's, bond's or lower device's.", "short",
             "count(virtnet_link_mtu_mismatch_bytes{@} != 0) or vector(0)", "network"),
        stat("BPDUs from instances", "VirtnetBpduFromInstance: BPDUs instances sent through "
             "their taps in the time range.", "short",
             "sum(increase(virtnet_bpdu_instance_frames_total{@}[$__range])) + "
             "sum(increase(virtnet_bpdu_instance_frames_untracked_total{@}[$__range])) or "
             "vector(0)", "network"),
        row("Sockets and processes"),
        stat("TCP orphans of the maximum", "VirtnetTcpOrphansNearLimit (80%): the highest "
             "host's orphans over net.ipv4.tcp_max_orphans.", "percentunit",
             "max(virtnet_sockstat_tcp_orphans{@} / on(instance, job) "
             "virtnet_sockstat_tcp_orphans_limit{@}) or vector(0)", "sockets", red=0.8),
        stat("TCP memory of its pressure threshold", "VirtnetTcpMemoryPressure (100%): the "
             "highest host's TCP buffers over tcp_mem's pressure threshold.", "percentunit",
             "max(virtnet_sockstat_memory_bytes{@,protocol=\"tcp\"} / on(instance, job) "
             "virtnet_sockstat_tcp_memory_limit_bytes{@,threshold=\"pressure\"}) or vector(0)",
             "sockets"),
        stat("CLOSE_WAIT and LAST_ACK", "VirtnetTcpCloseWaitPilingUp (500): the most sockets "
             "in one of those states on a host.", "short",
             "max(virtnet_sockstat_tcp_sockets{@,state=~\"close_wait|last_ack\"}) or vector(0)",
             "sockets", red=500),
        stat("Highest open-files use", "VirtnetProcessTopFdsNearLimit (80%): the process "
             "nearest its own open-files limit, in a group or not.", "percentunit",
             "max(virtnet_process_top_fd_usage_ratio{@}) or vector(0)", "sockets", red=0.8),
        stat("Processes on course to run out of fds", "VirtnetProcessFdsExhaustionPredicted: "
             "processes whose fds reach their limit within 4 h at the last hour's rate.",
             "short",
             "count(predict_linear(virtnet_process_top_open_fds{@}[1h], 14400) >= on(instance, "
             "job, pid, comm, group) virtnet_process_top_max_fds{@}) or vector(0)", "sockets"),
        row("The exporter"),
        stat("Exporters down", "VirtnetExporterDown: targets Prometheus cannot scrape.", "short",
             "count(up{@} == 0) or vector(0)", "overview"),
        stat("Collectors failing", "VirtnetCollectorFailing: collectors whose last run failed.",
             "short", "count(virtnet_scrape_collector_success{@} == 0) or vector(0)",
             "overview"),
        stat("Collectors stale", "VirtnetCollectorStale: collectors serving data over 300 s "
             "old.", "short",
             "count(virtnet_scrape_collector_result_age_seconds{@} > 300) or vector(0)",
             "overview"),
        table("Collectors by host", "Each collector's last run on each host, failing (0) first; "
              "a failure's reason is on the exporter's landing page.", "none",
              "sort(virtnet_scrape_collector_success{@})"),
        graph("Collector durations", "How long each collector takes per scrape.", "s",
              ("virtnet_scrape_collector_duration_seconds{@}", "{{instance}} {{collector}}")),
    ])


def vrrp():
    by_source = "instance, netns, interface, vlan, vrid, source"
    return dashboard("vrrp", "virtnet_exporter: VRRP",
                     "Advertisement gaps, masters and master changes per VRRP router, as the "
                     "vrrp collector hears them.", [
        graph("Last gap between a master's advertisements", "The gap before each source's "
              "latest advertisement; past 3 intervals plus skew a backup takes over.", "s",
              (f"max by ({by_source}) (virtnet_vrrp_last_gap_seconds{{@}})",
               "{{instance}} {{netns}} {{interface}} VRID {{vrid}} {{source}}")),
        graph("Longest gap in the gap window", "The longest gap of each source within the "
              "collector's gap_window.", "s",
              (f"max by ({by_source}) (virtnet_vrrp_longest_gap_seconds{{@}})",
               "{{instance}} {{netns}} {{interface}} VRID {{vrid}} {{source}}")),
        panel("heatmap", "Gaps between a master's advertisements",
              "The distribution of gaps (virtnet_vrrp_advertisement_gap_seconds).", "s",
              [target("sum by (le) (increase(virtnet_vrrp_advertisement_gap_seconds_bucket{@}"
                      "[$__rate_interval]))", "{{le}}")], w=12),
        graph("Master-down gaps and late advertisements", "Gaps past Master_Down_Interval "
              "(failovers) and late advertisements, per second.", "ops",
              (f"sum by ({by_source}) (rate(virtnet_vrrp_master_down_gaps_total{{@}}"
               "[$__rate_interval]))", "gap {{instance}} VRID {{vrid}} {{source}}"),
              (f"sum by ({by_source}) (rate(virtnet_vrrp_late_advertisements_total{{@}}"
               "[$__rate_interval]))", "late {{instance}} VRID {{vrid}} {{source}}")),
        graph("Masters per router", "Sources advertising as master of each router: 1 is "
              "healthy, 2 is split brain, 0 is no master heard.", "short",
              ("virtnet_vrrp_masters{@}",
               "{{instance}} {{netns}} {{interface}} VRID {{vrid}} {{address}}")),
        graph("Master changes", "Master changes of each router (VirtnetVrrpFlapping past 4 in "
              "30 minutes).", "short",
              ("sum by (instance, netns, interface, vlan, vrid, address) (increase("
               "virtnet_vrrp_master_changes_total{@}[$__rate_interval]))",
               "{{instance}} {{netns}} {{interface}} VRID {{vrid}}")),
        graph("Priority by source", "Each source's advertised priority: a change is a tracked "
              "script or interface.", "short",
              ("virtnet_vrrp_priority{@}", "{{instance}} VRID {{vrid}} {{source}}")),
        graph("Advertisement rate", "Advertisements heard per second, per source.", "ops",
              (f"sum by ({by_source}) (rate(virtnet_vrrp_advertisements_total{{@}}"
               "[$__rate_interval]))", "{{instance}} VRID {{vrid}} {{source}}")),
        table("Routers", "Every router and source heard: version, authentication type (never "
              "its password), interval.", "none", "virtnet_vrrp_router_info{@}", w=24),
        graph("Capture health", "Packets the capture dropped or rejected, per second: a flood "
              "or malformed traffic.", "ops",
              ("sum by (instance, reason) (rate(virtnet_vrrp_packets_dropped_total{@}"
               "[$__rate_interval]))", "dropped {{instance}} {{reason}}"),
              ("sum by (instance, reason) (rate(virtnet_vrrp_packets_rejected_total{@}"
               "[$__rate_interval]))", "rejected {{instance}} {{reason}}")),
        graph("Capture CPU", "CPU the VRRP capture threads use (cores).", "percentunit",
              ("rate(virtnet_vrrp_capture_cpu_seconds_total{@}[$__rate_interval])",
               "{{instance}}")),
    ])


def instances():
    return dashboard("instances", "virtnet_exporter: instances",
                     "Per VM: qemu's threads by class, vhost-net, consoles, disks' backing files "
                     "and libvirt's states.", [
        graph("qemu CPU by thread class", "CPU of each instance's qemu by thread class (vcpu, "
              "vhost, iothread, main): main busy with traffic is a netdev in userspace.",
              "percentunit",
              ("topk(20, sum by (instance, domain, class) (rate(virtnet_qemu_cpu_seconds_total{@}"
               "[$__rate_interval])))", "{{instance}} {{domain}} {{class}}")),
        graph("vCPU run-queue wait", "Seconds per second each instance's vCPU threads waited "
              "for a host CPU (VirtnetQemuVcpuRunQueueWait past 0.25).", "percentunit",
              ("topk(20, sum by (instance, domain) (rate(virtnet_qemu_run_queue_wait_seconds_total"
               "{@,class=\"vcpu\"}[$__rate_interval])))", "{{instance}} {{domain}}")),
        table("Netdevs and vhost-net", "Each tap netdev of each qemu: vhost 1, or 0 when qemu's "
              "userspace serves it.", "none", "virtnet_qemu_netdev_vhost{@}"),
        table("Interfaces in userspace (libvirt)", "libvirt's view: interfaces whose virtio "
              "runs in qemu's userspace.", "none", "virtnet_libvirt_interface_vhost{@} == 0"),
        graph("Console log sizes", "The largest console logs (VirtnetConsoleLogLarge past 1 "
              "GiB).", "bytes",
              ("topk(20, virtnet_console_log_bytes{@})", "{{instance}} {{domain}} {{path}}")),
        graph("Console log growth", "Bytes a second each console log grows, over the last hour "
              "(VirtnetConsoleLogGrowing: 1 GiB within 6 h).", "Bps",
              ("topk(20, deriv(virtnet_console_log_bytes{@}[1h]))",
               "{{instance}} {{domain}} {{path}}")),
        table("Disks with a backing file missing", "The first file gone from each disk's chain "
              "(VirtnetDiskBackingFileMissing).", "none",
              "virtnet_libvirt_disk_missing_file_info{@}"),
        table("Domain states", "Each domain's state and reason; paused on ioerror and crashed "
              "page.", "none", "virtnet_libvirt_domain_state{@} == 1"),
        graph("Domains and VMs", "Domains libvirt lists and qemu processes found.", "short",
              ("virtnet_libvirt_domains{@}", "libvirt {{instance}}"),
              ("virtnet_qemu_vms{@}", "qemu {{instance}}")),
        graph("libvirt data age", "The age of the data the libvirt collector serves (its last "
              "data while libvirtd does not answer; VirtnetCollectorStale past 300 s).", "s",
              ("virtnet_libvirt_data_age_seconds{@}", "age {{instance}}")),
    ])


def network():
    return dashboard("network", "virtnet_exporter: network",
                     "Links with their stack path, MTU headroom and mismatches, per network "
                     "namespace; BPDUs.", [
        table("Links and their path", "Every link with its kind, state, the device it leaves "
              "by and its stack path.", "none", "virtnet_link_info{@}", w=24),
        table("Negative MTU headroom", "Links whose full-size frames cannot leave "
              "(VirtnetLinkMtuHeadroomNegative).", "bytes",
              "virtnet_link_mtu_headroom_bytes{@} < 0"),
        table("MTU mismatches", "Links whose MTU differs from a related device "
              "(VirtnetLinkMtuMismatch).", "bytes", "virtnet_link_mtu_mismatch_bytes{@} != 0"),
        table("VLAN tags per link", "The VLAN tags each link's frames leave with, the most "
              "first: more than one is a VLAN stacked on a VLAN (VirtnetLinkVlanStacked).",
              "none", "sort_desc(virtnet_link_vlan_tags{@})"),
        graph("Lowest headroom per namespace", "The smallest MTU headroom of each namespace's "
              "links.", "bytes",
              ("min by (instance, netns) (virtnet_link_mtu_headroom_bytes{@})",
               "{{instance}} {{netns}}")),
        graph("Traffic per namespace", "Bytes a second received and sent, per namespace.",
              "Bps",
              ("sum by (instance, netns) (rate(virtnet_link_receive_bytes_total{@}"
               "[$__rate_interval]))", "rx {{instance}} {{netns}}"),
              ("sum by (instance, netns) (rate(virtnet_link_transmit_bytes_total{@}"
               "[$__rate_interval]))", "tx {{instance}} {{netns}}")),
        graph("Drops and errors", "Packets dropped or in error a second, per link.", "pps",
              ("topk(10, sum by (instance, netns, link) (rate(virtnet_link_receive_drops_total"
               "{@}[$__rate_interval]) + rate(virtnet_link_transmit_drops_total{@}"
               "[$__rate_interval])))", "drops {{instance}} {{netns}} {{link}}"),
              ("topk(10, sum by (instance, netns, link) (rate(virtnet_link_receive_errors_total"
               "{@}[$__rate_interval]) + rate(virtnet_link_transmit_errors_total{@}"
               "[$__rate_interval])))", "errors {{instance}} {{netns}} {{link}}")),
        graph("BPDUs", "Spanning-tree frames a second by interface and direction; from an "
              "instance's tap they page (VirtnetBpduFromInstance).", "pps",
              ("sum by (instance, interface, direction) (rate(virtnet_bpdu_frames_total{@}"
               "[$__rate_interval]))", "{{instance}} {{interface}} {{direction}}"),
              ("sum by (instance, interface) (rate(virtnet_bpdu_instance_frames_total{@}"
               "[$__rate_interval]))", "instance {{instance}} {{interface}}")),
    ])


def sockets():
    who = "{{instance}} {{comm}} ({{pid}}, {{group}})"
    return dashboard("sockets", "virtnet_exporter: sockets and processes",
                     "sockstat against its limits, fd and mapping growth, and the top "
                     "processes whatever their group.", [
        graph("TCP orphans of the maximum", "Orphans over net.ipv4.tcp_max_orphans "
              "(VirtnetTcpOrphansNearLimit past 80%).", "percentunit",
              ("virtnet_sockstat_tcp_orphans{@} / on(instance, job) "
               "virtnet_sockstat_tcp_orphans_limit{@}", "{{instance}}")),
        graph("TCP memory of its thresholds", "TCP buffers over tcp_mem's pressure and maximum "
              "(VirtnetTcpMemoryPressure past 100% of pressure).", "percentunit",
              ("virtnet_sockstat_memory_bytes{@,protocol=\"tcp\"} / on(instance, job) "
               "group_right() virtnet_sockstat_tcp_memory_limit_bytes{@}",
               "{{instance}} {{threshold}}")),
        graph("TCP sockets by state", "Sockets by TCP state; CLOSE_WAIT and LAST_ACK piling up "
              "page past 500.", "short",
              ("sum by (instance, state) (virtnet_sockstat_tcp_sockets{@})",
               "{{instance}} {{state}}")),
        graph("File handles of the maximum", "Allocated file handles over fs.file-max.",
              "percentunit",
              ("virtnet_sockstat_file_handles_allocated{@} / on(instance, job) "
               "virtnet_sockstat_file_handles_limit{@}", "{{instance}}")),
        table("Top processes by open-files use", "Open fds over each process's own limit, "
              "whatever its group (VirtnetProcessTopFdsNearLimit past 80%).", "percentunit",
              "virtnet_process_top_fd_usage_ratio{@}"),
        table("Top processes by open fds", "The processes with the most open fds.", "short",
              "virtnet_process_top_open_fds{@}"),
        graph("fd growth", "Fds a second each top process gains over the last hour "
              "(VirtnetProcessFdsExhaustionPredicted: its limit within 4 h).", "short",
              ("topk(10, deriv(virtnet_process_top_open_fds{@}[1h]))", who)),
        graph("Open-files limit used, by group", "The group's process nearest its limit "
              "(VirtnetProcessFdsNearLimit past 80%).", "percentunit",
              ("virtnet_process_group_max_fd_usage_ratio{@}", "{{instance}} {{group}}")),
        graph("Open fds by kind, by group", "The kind that grows is the leak (socket, pipe, "
              "anon_inode, file).", "short",
              ("sum by (instance, group, kind) (virtnet_process_group_open_fds_by_kind{@})",
               "{{instance}} {{group}} {{kind}}")),
        graph("Mappings growth, by group", "Memory mappings a second each group gains over the "
              "last hour (VirtnetProcessMappingsGrowing).", "short",
              ("topk(10, deriv(virtnet_process_group_mappings{@}[1h]))",
               "{{instance}} {{group}}")),
        graph("Mapped memory of the top processes", "Mapped address space (VmSize) of the "
              "processes with the most (VirtnetProcessMappedMemoryGrowing).", "bytes",
              ("virtnet_process_top_mapped_bytes{@}", who)),
        graph("CPU by group", "CPU of each process group (cores).", "percentunit",
              ("sum by (instance, group) (rate(virtnet_process_group_cpu_seconds_total{@}"
               "[$__rate_interval]))", "{{instance}} {{group}}")),
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(pathlib.Path(__file__).parent))
    out = pathlib.Path(ap.parse_args().out)
    for key, make in [("overview", overview), ("vrrp", vrrp), ("instances", instances),
                      ("network", network), ("sockets", sockets)]:
        (out / (BOARDS[key] + ".json")).write_text(json.dumps(make(), indent=2) + "\n")


if __name__ == "__main__":
    main()
