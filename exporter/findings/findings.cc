#include "exporter/findings/findings.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace virtnet {

namespace {

const char* op(Cmp c) {
  switch (c) {
    case Cmp::kEq:
      return "==";
    case Cmp::kNe:
      return "!=";
    case Cmp::kLt:
      return "<";
    case Cmp::kGt:
      return ">";
  }
  return "==";
}

bool holds(Cmp c, double v, double t) {
  switch (c) {
    case Cmp::kEq:
      return v == t;
    case Cmp::kNe:
      return v != t;
    case Cmp::kLt:
      return v < t;
    case Cmp::kGt:
      return v > t;
  }
  return false;
}

std::string number(double v) {
  std::ostringstream os;
  os.precision(15);  // 1073741824 as it is, 0.25 without noise
  os << v;
  return os.str();
}

std::string expr(const Definition& d) {
  std::string sel = d.metric;
  if (!d.only.empty()) {
    sel += "{";
    for (std::size_t i = 0; i < d.only.size(); ++i) {
      sel += (i ? "," : "") + d.only[i].first + "=\"" + d.only[i].second + "\"";
    }
    sel += "}";
  }
  if (d.kind == Kind::kRate) sel = "rate(" + sel + "[5m])";
  if (d.kind == Kind::kGrowth) {
    sel = "predict_linear(" + sel + "[1h], " + number(kGrowthHorizonSeconds) + ")";
  }
  return sel + " " + op(d.cmp) + " " + number(d.threshold);
}

// Replaces each {name} placeholder with f(name).
template <typename F>
std::string substitute(const std::string& text, F&& f) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto close = text.find('}', i);
    if (text[i] == '{' && close != std::string::npos) {
      out += f(text.substr(i + 1, close - i - 1));
      i = close;
    } else {
      out += text[i];
    }
  }
  return out;
}

// {label} -> Prometheus' {{ $labels.label }}, {value} -> {{ $value }}.
std::string to_template(const std::string& text) {
  return substitute(text, [](const std::string& name) {
    return name == "value" ? std::string("{{ $value }}") : "{{ $labels." + name + " }}";
  });
}

std::string fill(const std::string& text, const std::map<std::string, std::string>& labels,
                 double value) {
  return substitute(text, [&](const std::string& name) {
    if (name == "value") return number(value);
    auto it = labels.find(name);
    return it == labels.end() ? std::string() : it->second;
  });
}

// YAML double-quoted scalar.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

using Series = std::map<std::map<std::string, std::string>, double>;

Series series_of(const std::vector<prometheus::MetricFamily>& fams, const Definition& d) {
  Series out;
  for (const auto& f : fams) {
    if (f.name != d.metric) continue;
    for (const auto& m : f.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : m.label) labels[l.name] = l.value;
      const bool match = std::all_of(d.only.begin(), d.only.end(), [&](const auto& kv) {
        auto it = labels.find(kv.first);
        return it != labels.end() && it->second == kv.second;
      });
      if (!match) continue;
      const double v = f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
      out[labels] = v;
    }
  }
  return out;
}

}  // namespace

const std::vector<Definition>& definitions() {
  static const std::vector<Definition> defs = {
      {"VirtnetLinkMtuHeadroomNegative",
       "virtnet_link_mtu_headroom_bytes",
       {},
       Kind::kValue,
       Cmp::kLt,
       0,
       "5m",
       "critical",
       {"netns", "link"},
       "full-size frames of link {link} (netns \"{netns}\") are dropped on their way out: "
       "{value} bytes of MTU headroom",
       "ip -d link show {link}; follow the path label of virtnet_link_info for {link} down to "
       "the device with the smallest MTU, then lower the instance MTU (Neutron network mtu) or "
       "raise the underlay's"},
      {"VirtnetVrrpMasterDownGap",
       "virtnet_vrrp_master_down_gaps_total",
       {},
       Kind::kRate,
       Cmp::kGt,
       0,
       "0s",
       "critical",
       {"netns", "interface", "vlan", "vrid", "address", "source"},
       "VRRP master {source} of {address} on {interface} (netns \"{netns}\", VLAN {vlan}, VRID "
       "{vrid}) fell "
       "silent long enough "
       "for a backup to take over: the VIP moved",
       "virtnet_vrrp_last_gap_seconds and virtnet_vrrp_master_changes_total for VRID {vrid}; on "
       "the master's host: was keepalived stopped or starved of CPU (run-queue wait of the "
       "instance's vCPUs, virtnet_qemu_run_queue_wait_seconds_total; vhost-net of its taps)?",
       true},
      {"VirtnetBpduFromInstance",
       "virtnet_bpdu_instance_frames_total",
       {},
       Kind::kRate,
       Cmp::kGt,
       0,
       "0s",
       "critical",
       {"interface"},
       "an instance sends spanning-tree BPDUs through its tap {interface}: a bridge with STP off "
       "forwards them, and the switch's BPDU guard may shut this host's uplink",
       "virtnet_bpdu_frames_total by interface with direction sent (the uplinks that carry them "
       "out); the "
       "instance on {interface} (virsh domiflist, or the port's device in Neutron): a bridge or "
       "STP running in the guest; then port security or a BPDU filter on the tap",
       true},
      {"VirtnetDiskBackingFileMissing",
       "virtnet_libvirt_disk_backing_missing",
       {},
       Kind::kValue,
       Cmp::kEq,
       1,
       "1m",
       "critical",
       {"domain", "uuid", "disk"},
       "instance {domain} ({uuid}): a file of disk {disk}'s backing chain is gone; the instance "
       "cannot start again (\"unable to find backing disk\") until it is restored",
       "virtnet_libvirt_disk_missing_file_info of domain {domain} names the file and its "
       "position; restore the base image (glance image-download into the _base folder) before "
       "anyone starts or migrates the instance; check the image cache manager "
       "(remove_unused_base_images) on every host sharing the folder"},
      {"VirtnetDomainPausedIoError",
       "virtnet_libvirt_domain_state",
       {{"state", "paused"}, {"reason", "ioerror"}},
       Kind::kValue,
       Cmp::kEq,
       1,
       "1m",
       "critical",
       {"domain", "uuid"},
       "instance {domain} ({uuid}) is paused on a disk I/O error: its storage failed or is full",
       "virsh domblkerror {domain}; the free space and health of the storage under its disks "
       "(df, the NFS or Ceph cluster); virsh resume {domain} once it is fixed"},
      {"VirtnetDomainCrashed",
       "virtnet_libvirt_domain_state",
       {{"state", "crashed"}},
       Kind::kValue,
       Cmp::kEq,
       1,
       "1m",
       "critical",
       {"domain", "uuid"},
       "instance {domain} ({uuid}) has crashed (guest panic or qemu failure)",
       "/var/log/libvirt/qemu/{domain}.log and the console log; virsh dominfo {domain}"},
      {"VirtnetLibvirtInterfaceUserspace",
       "virtnet_libvirt_interface_vhost",
       {},
       Kind::kValue,
       Cmp::kEq,
       0,
       "10m",
       "warning",
       {"domain", "link"},
       "instance {domain}: interface {link} is served in qemu's userspace, as its domain XML "
       "says (<driver name='qemu'/>) or for lack of /dev/vhost-net",
       "the driver label of virtnet_libvirt_interface_info for link {link}; "
       "virsh dumpxml {domain} | grep -A3 {link}; ls -l /dev/vhost-net; the Nova image's "
       "hw_vif_model and the flavor's extra specs"},
      {"VirtnetConsoleLogLarge",
       "virtnet_console_log_bytes",
       {},
       Kind::kGrowth,
       Cmp::kGt,
       1073741824,
       "15m",
       "warning",
       {"path", "domain"},
       "console log {path} of instance {domain} is over 1 GiB or will be within 6 h ({value} "
       "bytes then): a user opening it in the dashboard pushes it through the message bus",
       "ls -l {path}; managed_by=file means qemu writes it with no rotation: move Nova to "
       "virtlogd (stdio_handler = \"logd\" in qemu.conf) or truncate it (truncate -s 0, never "
       "rm: qemu keeps it open); what the guest prints: tail {path}"},
      {"VirtnetBpduFromUntrackedInstances",
       "virtnet_bpdu_instance_frames_untracked_total",
       {},
       Kind::kRate,
       Cmp::kGt,
       0,
       "0s",
       "critical",
       {},
       "instances send spanning-tree BPDUs through taps past the bpdu collector's max_instances: "
       "a bridge with STP off forwards them, and the switch's BPDU guard may shut this host's "
       "uplink",
       "virtnet_bpdu_frames_total by interface with direction received (the detail table may "
       "still hold the taps); raise --collector.bpdu.max-instances above this host's tap count",
       true},
      {"VirtnetVrrpSplitBrain",
       "virtnet_vrrp_masters",
       {},
       Kind::kValue,
       Cmp::kGt,
       1,
       "1m",
       "critical",
       {"netns", "interface", "vlan", "vrid", "address"},
       "{value} sources advertise as VRRP master of {address} (VRID {vrid}) on {interface} (netns "
       "\"{netns}\", VLAN {vlan}): "
       "split brain, "
       "the VIP is on more than one host",
       "virtnet_vrrp_priority by source for VRID {vrid}; tcpdump -ni {interface} vrrp on each "
       "router: does each hear the other (a firewall dropping protocol 112, a mismatched "
       "VRID, password or version)?"},
      {"VirtnetLinkVlanStacked",
       "virtnet_link_vlan_tags",
       {},
       Kind::kValue,
       Cmp::kGt,
       1,
       "15m",
       "warning",
       {"netns", "link"},
       "link {link} (netns \"{netns}\") leaves with {value} VLAN tags: a VLAN stacked on a VLAN "
       "takes 4 more bytes of MTU than the network was sized for",
       "ip -d link show {link}; check whether the provider network's physical interface is "
       "itself a VLAN (the bridge mapping in the Neutron agent's config)"},
      {"VirtnetQemuNetdevUserspace",
       "virtnet_qemu_netdev_vhost",
       {},
       Kind::kValue,
       Cmp::kEq,
       0,
       "10m",
       "warning",
       {"domain", "netdev"},
       "instance {domain}: tap netdev {netdev} is served by qemu's userspace, not vhost-net "
       "(every packet through the qemu main loop)",
       "virtnet_qemu_vhost_net_device and virtnet_qemu_vhost_net_module on this host "
       "(ls -l /dev/vhost-net; lsmod | grep vhost_net), VHOST_NET_ENABLED in "
       "/etc/default/qemu-kvm, then virsh dumpxml {domain} for <driver name='qemu'/>"},
      {"VirtnetQemuVcpuRunQueueWait",
       "virtnet_qemu_run_queue_wait_seconds_total",
       {{"class", "vcpu"}},
       Kind::kRate,
       Cmp::kGt,
       0.25,
       "15m",
       "warning",
       {"domain"},
       "instance {domain}: its vCPU threads waited {value} s per second for a host CPU",
       "virtnet_qemu_cpu_seconds_total by domain (who takes the host's CPUs), the host's load "
       "and CPU pinning (virsh vcpupin {domain})"},
      {"VirtnetVrrpAdvertisementsLate",
       "virtnet_vrrp_late_advertisements_total",
       {},
       Kind::kRate,
       Cmp::kGt,
       0,
       "10m",
       "warning",
       {"netns", "interface", "vlan", "vrid", "address", "source"},
       "VRRP master {source} of {address} on {interface} (netns \"{netns}\", VLAN {vlan}, VRID "
       "{vrid}) misses "
       "advertisements "
       "({value} late "
       "a second), each a step towards a failover",
       "virtnet_vrrp_last_gap_seconds for VRID {vrid}; the CPU of the master's host and, if it "
       "is an instance, its vCPU run-queue wait and vhost-net",
       true},
      {"VirtnetProcessFdsNearLimit",
       "virtnet_process_group_max_fd_usage_ratio",
       {},
       Kind::kValue,
       Cmp::kGt,
       0.8,
       "10m",
       "warning",
       {"group"},
       "a process of group {group} uses {value} of its open-files limit",
       "virtnet_process_top_open_fds, and virtnet_process_open_fds_by_kind of group {group} (a "
       "growing kind is the leak: socket, pipe, anon_inode), then ls -l /proc/PID/fd"},
      {"VirtnetCollectorFailing",
       "virtnet_scrape_collector_success",
       {},
       Kind::kValue,
       Cmp::kEq,
       0,
       "10m",
       "warning",
       {"collector"},
       "collector {collector} of virtnet_exporter fails: what it watches is not seen",
       "the exporter's landing page (/) or its log (journalctl -u virtnet-exporter) for the "
       "reason, e.g. a missing capability"},
  };
  return defs;
}

std::string rules_yaml() {
  std::string y =
      "# Generated by `virtnet_exporter rules` from the definitions that `virtnet_exporter "
      "diagnose`\n# also evaluates (exporter/findings/findings.cc): edit those, then regenerate.\n"
      "groups:\n  - name: virtnet_exporter\n    rules:\n";
  for (const auto& d : definitions()) {
    y += "      - alert: " + d.alert + "\n";
    y += "        expr: " + quoted(expr(d)) + "\n";
    y += "        for: " + d.for_duration + "\n";
    y += "        labels:\n          severity: " + d.severity + "\n";
    y += "        annotations:\n";
    y += "          summary: " + quoted(to_template(d.summary)) + "\n";
    y += "          next_check: " + quoted(to_template(d.next_check)) + "\n";
    // Installed by the .deb; docs/runbooks/ in the source tree.
    y += "          runbook: " +
         quoted("/usr/share/doc/virtnet-exporter/runbooks/" + d.alert + ".md") + "\n";
  }
  return y;
}

std::vector<Finding> evaluate(const std::vector<prometheus::MetricFamily>& first,
                              const std::vector<prometheus::MetricFamily>& last,
                              double window_seconds) {
  std::vector<Finding> out;
  for (const auto& d : definitions()) {
    const Series now = series_of(last, d);
    const Series before = d.kind != Kind::kValue ? series_of(first, d) : Series{};
    for (const auto& [labels, v] : now) {
      double value = v;
      if (d.kind == Kind::kRate) {
        auto it = before.find(labels);
        if (it == before.end() && !d.counts_from_start) continue;
        const double start = it == before.end() ? 0 : it->second;
        if (!(window_seconds > 0) || v < start) continue;
        value = (v - start) / window_seconds;
      } else if (d.kind == Kind::kGrowth) {
        auto it = before.find(labels);
        if (it != before.end() && window_seconds > 0) {
          value = v + (v - it->second) / window_seconds * kGrowthHorizonSeconds;
        }
      }
      if (!std::isfinite(value) || !holds(d.cmp, value, d.threshold)) continue;
      out.push_back(
          {&d, labels, value, fill(d.summary, labels, value), fill(d.next_check, labels, value)});
    }
  }
  // Critical first; then table order; within a definition the furthest past its threshold
  // (the most negative headroom, the highest ratio) first.
  auto rank = [](const Finding& f) {
    return std::make_pair(f.def->severity == "critical" ? 0 : 1, f.def - definitions().data());
  };
  auto badness = [](const Finding& f) {
    return f.def->cmp == Cmp::kLt ? -f.value : f.def->cmp == Cmp::kGt ? f.value : 0.0;
  };
  std::stable_sort(out.begin(), out.end(), [&](const Finding& a, const Finding& b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    return badness(a) > badness(b);
  });
  return out;
}

}  // namespace virtnet
