#include "collectors/process/process_metrics.h"

#include <algorithm>
#include <string>

namespace virtnet::process {

namespace {

constexpr auto kGroupProcesses =
    MetricDef::gauge("virtnet_process_group_processes", "Processes in the group.");
constexpr auto kGroupCpu = MetricDef::counter("virtnet_process_group_cpu_seconds_total",
                                              "CPU time of the group's processes, by mode.");
constexpr auto kGroupSwitches = MetricDef::counter("virtnet_process_group_context_switches_total",
                                                   "Context switches of the group's threads.");
constexpr auto kGroupFds = MetricDef::gauge("virtnet_process_group_open_fds",
                                            "Open file descriptors of the group's processes.");
constexpr auto kGroupFdUsage =
    MetricDef::gauge("virtnet_process_group_max_fd_usage_ratio",
                     "Highest open fds / soft fd limit among the group's processes.");
constexpr auto kGroupThreads =
    MetricDef::gauge("virtnet_process_group_threads", "Threads of the group's processes.");
constexpr auto kGroupResident = MetricDef::gauge("virtnet_process_group_resident_bytes",
                                                 "Resident memory (VmRSS) of the group.");
constexpr auto kGroupAnon = MetricDef::gauge("virtnet_process_group_anon_bytes",
                                             "Resident anonymous memory (RssAnon) of the group.");
constexpr auto kGroupSwap = MetricDef::gauge("virtnet_process_group_swap_bytes",
                                             "Swapped-out memory (VmSwap) of the group.");
constexpr auto kGroupMapped = MetricDef::gauge(
    "virtnet_process_group_mapped_bytes", "Mapped address space of the group (pmap -d mapped).");
constexpr auto kGroupPrivate =
    MetricDef::gauge("virtnet_process_group_writeable_private_bytes",
                     "Private writable mappings of the group (pmap -d writeable/private).");
constexpr auto kGroupShared = MetricDef::gauge("virtnet_process_group_shared_bytes",
                                               "Shared mappings of the group (pmap -d shared).");
constexpr auto kGroupMappings =
    MetricDef::gauge("virtnet_process_group_mappings", "Memory mappings of the group's processes.");
constexpr auto kGroupPss =
    MetricDef::gauge("virtnet_process_group_pss_bytes", "Proportional set size of the group.");
constexpr auto kGroupFdKinds =
    MetricDef::gauge("virtnet_process_group_open_fds_by_kind", "Open fds of the group by kind.");

constexpr auto kFds = MetricDef::gauge("virtnet_process_open_fds", "Open file descriptors.");
constexpr auto kMaxFds = MetricDef::gauge("virtnet_process_max_fds",
                                          "Soft limit on open file descriptors (RLIMIT_NOFILE).");
constexpr auto kByKind = MetricDef::gauge("virtnet_process_open_fds_by_kind",
                                          "Open fds by kind (socket, pipe, anon_inode, ...).");
constexpr auto kThreads = MetricDef::gauge("virtnet_process_threads", "Threads.");
constexpr auto kCpu = MetricDef::counter("virtnet_process_cpu_seconds_total", "CPU time by mode.");
constexpr auto kSwitches = MetricDef::counter("virtnet_process_context_switches_total",
                                              "Context switches of all threads.");
constexpr auto kStart =
    MetricDef::gauge("virtnet_process_start_time_seconds", "Start time, seconds since the epoch.");
constexpr auto kResident =
    MetricDef::gauge("virtnet_process_resident_bytes", "Resident memory (VmRSS).");
constexpr auto kAnon =
    MetricDef::gauge("virtnet_process_anon_bytes", "Resident anonymous memory (RssAnon).");
constexpr auto kSwap =
    MetricDef::gauge("virtnet_process_swap_bytes", "Swapped-out anonymous memory (VmSwap).");
constexpr auto kMapped = MetricDef::gauge("virtnet_process_mapped_bytes",
                                          "Mapped address space, as pmap -d's mapped (VmSize).");
constexpr auto kPrivate =
    MetricDef::gauge("virtnet_process_writeable_private_bytes",
                     "Private writable mappings, as pmap -d's writeable/private.");
constexpr auto kShared =
    MetricDef::gauge("virtnet_process_shared_bytes", "Shared mappings, as pmap -d's shared.");
constexpr auto kMappings = MetricDef::gauge("virtnet_process_mappings",
                                            "Number of memory mappings (lines of /proc/PID/maps).");
constexpr auto kPss =
    MetricDef::gauge("virtnet_process_pss_bytes",
                     "Proportional set size, from smaps_rollup (groups with smaps only).");
constexpr auto kTopFds =
    MetricDef::gauge("virtnet_process_top_open_fds",
                     "Open fds of the processes with the most, whatever their group.");
constexpr auto kTopMaxFds =
    MetricDef::gauge("virtnet_process_top_max_fds",
                     "Soft open-files limit of the processes in virtnet_process_top_open_fds.");
constexpr auto kTopFdUsage = MetricDef::gauge(
    "virtnet_process_top_fd_usage_ratio",
    "Open fds over the soft open-files limit of the processes with the highest, whatever their "
    "group.");
constexpr auto kTopMapped = MetricDef::gauge(
    "virtnet_process_top_mapped_bytes",
    "Mapped address space (VmSize) of the processes with the most, whatever their group.");
constexpr auto kReadErrors = MetricDef::counter("virtnet_process_read_errors_total",
                                                "Process files that could not be read, by reason.");
constexpr auto kScanned =
    MetricDef::gauge("virtnet_process_scanned", "Processes seen in the last scrape.");

struct Sums {
  double processes = 0, fds = 0, threads = 0, resident = 0, anon = 0, swap = 0, mapped = 0,
         writeable_private = 0, shared = 0, mappings = 0, pss = 0, usage = 0;
  std::array<double, kFdKinds> kinds{};
  bool has_pss = false;
};

void memory(MetricSink& out, const Labels& l, const Reading& r) {
  auto g = [&](const MetricDef& def, std::optional<std::uint64_t> v) {
    if (v) out.add(def, static_cast<double>(*v), l);
  };
  g(kResident, r.status.vm_rss);
  g(kAnon, r.status.rss_anon);
  g(kSwap, r.status.vm_swap);
  g(kMapped, r.maps ? std::optional(r.maps->mapped_bytes) : r.status.vm_size);
  if (r.maps) {
    g(kPrivate, r.maps->writeable_private_bytes);
    g(kShared, r.maps->shared_bytes);
    g(kMappings, r.maps->mappings);
  }
  g(kPss, r.pss);
}

void emit_top(MetricSink& out, ScrapeView& v) {
  if (v.top_n == 0) return;
  const auto& groups = v.groups;
  auto labels = [&](const Candidate& c) -> Labels {
    return {{"pid", std::to_string(c.pid)},
            {"comm", c.comm},
            {"group",
             c.group >= 0 ? groups[static_cast<std::size_t>(c.group)].name : std::string("none")}};
  };
  // The top_n by `field` among the candidates `eligible` keeps, `emit`ted in order.
  auto top = [&](auto field, auto eligible, auto emit) {
    auto end = std::partition(v.candidates.begin(), v.candidates.end(), eligible);
    const std::size_t n = std::min(v.top_n, static_cast<std::size_t>(end - v.candidates.begin()));
    std::partial_sort(v.candidates.begin(), v.candidates.begin() + static_cast<long>(n), end,
                      [&](const Candidate& a, const Candidate& b) {
                        return field(a) != field(b) ? field(a) > field(b) : a.pid < b.pid;
                      });
    for (std::size_t i = 0; i < n; ++i) emit(v.candidates[i], labels(v.candidates[i]));
  };
  auto any = [](const Candidate&) { return true; };
  top([](const Candidate& c) { return c.fds; }, any,
      [&](const Candidate& c, const Labels& l) {
        out.add(kTopFds, static_cast<double>(c.fds), l);
        if (c.max_fds > 0) out.add(kTopMaxFds, static_cast<double>(c.max_fds), l);
      });
  auto usage = [](const Candidate& c) {
    return static_cast<double>(c.fds) / static_cast<double>(c.max_fds);
  };
  top(
      usage, [](const Candidate& c) { return c.max_fds > 0; },
      [&](const Candidate& c, const Labels& l) { out.add(kTopFdUsage, usage(c), l); });
  top([](const Candidate& c) { return c.mapped; }, any,
      [&](const Candidate& c, const Labels& l) {
        out.add(kTopMapped, static_cast<double>(c.mapped), l);
      });
}

}  // namespace

void emit_process_metrics(MetricSink& out, ScrapeView& v) {
  const auto& groups = v.groups;
  std::vector<Sums> sums(groups.size());
  for (const auto& r : v.readings) {
    auto& s = sums[static_cast<std::size_t>(r.group)];
    s.processes += 1;
    s.threads += r.threads;
    s.fds += static_cast<double>(r.fds.value_or(0));
    if (r.fds && r.max_fds && *r.max_fds > 0) {
      s.usage = std::max(s.usage, static_cast<double>(*r.fds) / static_cast<double>(*r.max_fds));
    }
    s.resident += static_cast<double>(r.status.vm_rss.value_or(0));
    s.anon += static_cast<double>(r.status.rss_anon.value_or(0));
    s.swap += static_cast<double>(r.status.vm_swap.value_or(0));
    if (r.maps) {
      s.mapped += static_cast<double>(r.maps->mapped_bytes);
      s.writeable_private += static_cast<double>(r.maps->writeable_private_bytes);
      s.shared += static_cast<double>(r.maps->shared_bytes);
      s.mappings += static_cast<double>(r.maps->mappings);
    } else {
      s.mapped += static_cast<double>(r.status.vm_size.value_or(0));
    }
    if (r.pss) {
      s.pss += static_cast<double>(*r.pss);
      s.has_pss = true;
    }
    for (int k = 0; k < kFdKinds; ++k) s.kinds[k] += static_cast<double>(r.kinds[k]);
  }

  for (std::size_t i = 0; i < groups.size(); ++i) {
    const Labels l = {{"group", groups[i].name}};
    const auto& s = sums[i];
    const auto& t = v.totals[i];
    out.add(kGroupProcesses, s.processes, l);
    // A group that never had a process (most of the defaults on any one node) says only that.
    if (!v.ever[i]) continue;
    out.add(kGroupCpu, t.user, {{"group", groups[i].name}, {"mode", "user"}});
    out.add(kGroupCpu, t.system, {{"group", groups[i].name}, {"mode", "system"}});
    out.add(kGroupSwitches, t.voluntary, {{"group", groups[i].name}, {"type", "voluntary"}});
    out.add(kGroupSwitches, t.involuntary, {{"group", groups[i].name}, {"type", "involuntary"}});
    if (s.processes == 0) continue;
    out.add(kGroupFds, s.fds, l);
    out.add(kGroupFdUsage, s.usage, l);
    out.add(kGroupThreads, s.threads, l);
    out.add(kGroupResident, s.resident, l);
    out.add(kGroupAnon, s.anon, l);
    out.add(kGroupSwap, s.swap, l);
    out.add(kGroupMapped, s.mapped, l);
    out.add(kGroupPrivate, s.writeable_private, l);
    out.add(kGroupShared, s.shared, l);
    out.add(kGroupMappings, s.mappings, l);
    if (s.has_pss) out.add(kGroupPss, s.pss, l);
    if (groups[i].fd_kinds) {
      for (int k = 0; k < kFdKinds; ++k) {
        out.add(kGroupFdKinds, s.kinds[k],
                {{"group", groups[i].name},
                 {"kind", std::string(fd_kind_name(static_cast<FdKind>(k)))}});
      }
    }
  }

  for (const auto& r : v.readings) {
    const Group& g = groups[static_cast<std::size_t>(r.group)];
    if (!g.per_process) continue;
    Labels l = {{"group", g.name}, {"pid", std::to_string(r.key.pid)}, {"comm", r.comm}};
    if (!r.domain.empty()) l.emplace_back("domain", r.domain);
    auto with = [&](const char* name, const char* value) {
      Labels x = l;
      x.emplace_back(name, value);
      return x;
    };
    if (r.fds) out.add(kFds, static_cast<double>(*r.fds), l);
    if (r.max_fds) out.add(kMaxFds, static_cast<double>(*r.max_fds), l);
    if (r.has_kinds) {
      for (int k = 0; k < kFdKinds; ++k) {
        Labels x = l;
        x.emplace_back("kind", std::string(fd_kind_name(static_cast<FdKind>(k))));
        out.add(kByKind, static_cast<double>(r.kinds[k]), x);
      }
    }
    out.add(kThreads, r.threads, l);
    out.add(kCpu, r.counters.user, with("mode", "user"));
    out.add(kCpu, r.counters.system, with("mode", "system"));
    if (r.has_ctxt) {
      out.add(kSwitches, r.counters.voluntary, with("type", "voluntary"));
      out.add(kSwitches, r.counters.involuntary, with("type", "involuntary"));
    }
    if (v.has_btime) out.add(kStart, r.start_time, l);
    memory(out, l, r);
  }

  emit_top(out, v);
  out.add(kReadErrors, v.read_errors[0], {{"reason", "permission"}});
  out.add(kReadErrors, v.read_errors[1], {{"reason", "other"}});
  out.add(kScanned, static_cast<double>(v.scanned));
}

const std::vector<MetricDef>& process_metric_defs() {
  static const std::vector<MetricDef> defs = {
      kGroupProcesses, kGroupCpu,  kGroupSwitches, kGroupFds,    kGroupFdUsage, kGroupThreads,
      kGroupResident,  kGroupAnon, kGroupSwap,     kGroupMapped, kGroupPrivate, kGroupShared,
      kGroupMappings,  kGroupPss,  kGroupFdKinds,  kFds,         kMaxFds,       kByKind,
      kThreads,        kCpu,       kSwitches,      kStart,       kResident,     kAnon,
      kSwap,           kMapped,    kPrivate,       kShared,      kMappings,     kPss,
      kTopFds,         kTopMaxFds, kTopFdUsage,    kTopMapped,   kReadErrors,   kScanned};
  return defs;
}

}  // namespace virtnet::process
