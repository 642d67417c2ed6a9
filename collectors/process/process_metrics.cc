#include "collectors/process/process_metrics.h"

#include <algorithm>
#include <string>

namespace virtnet::process {

namespace {

constexpr std::string_view kP = "virtnet_process_";

std::string m(std::string_view suffix) { return metric_name(kP, suffix); }

struct Sums {
  double processes = 0, fds = 0, threads = 0, resident = 0, anon = 0, swap = 0, mapped = 0,
         writeable_private = 0, shared = 0, mappings = 0, pss = 0, usage = 0;
  std::array<double, kFdKinds> kinds{};
  bool has_pss = false;
};

void memory(MetricSink& out, const std::string& prefix, const Labels& l, const Reading& r) {
  auto g = [&](std::string_view what, const char* help, std::optional<std::uint64_t> v) {
    if (v) out.gauge(prefix + std::string(what), help, static_cast<double>(*v), l);
  };
  g("resident_bytes", "Resident memory (VmRSS).", r.status.vm_rss);
  g("anon_bytes", "Resident anonymous memory (RssAnon).", r.status.rss_anon);
  g("swap_bytes", "Swapped-out anonymous memory (VmSwap).", r.status.vm_swap);
  std::optional<std::uint64_t> mapped =
      r.maps ? std::optional(r.maps->mapped_bytes) : r.status.vm_size;
  g("mapped_bytes", "Mapped address space, as pmap -d's mapped (VmSize).", mapped);
  if (r.maps) {
    g("writeable_private_bytes", "Private writable mappings, as pmap -d's writeable/private.",
      r.maps->writeable_private_bytes);
    g("shared_bytes", "Shared mappings, as pmap -d's shared.", r.maps->shared_bytes);
    g("mappings", "Number of memory mappings (lines of /proc/PID/maps).", r.maps->mappings);
  }
  g("pss_bytes", "Proportional set size, from smaps_rollup (groups with smaps only).", r.pss);
}

void emit_top(MetricSink& out, ScrapeView& v) {
  if (v.top_n == 0) return;
  const auto& groups = v.groups;
  auto top = [&](auto field, const char* metric, const char* help) {
    const std::size_t n = std::min(v.top_n, v.candidates.size());
    std::partial_sort(v.candidates.begin(), v.candidates.begin() + static_cast<long>(n),
                      v.candidates.end(), [&](const Candidate& a, const Candidate& b) {
                        return field(a) != field(b) ? field(a) > field(b) : a.pid < b.pid;
                      });
    for (std::size_t i = 0; i < n; ++i) {
      const auto& c = v.candidates[i];
      out.gauge(m(metric), help, static_cast<double>(field(c)),
                {{"pid", std::to_string(c.pid)},
                 {"comm", c.comm},
                 {"group", c.group >= 0 ? groups[static_cast<std::size_t>(c.group)].name
                                        : std::string("none")}});
    }
  };
  top([](const Candidate& c) { return c.fds; }, "top_open_fds",
      "Open fds of the processes with the most, whatever their group.");
  top([](const Candidate& c) { return c.mapped; }, "top_mapped_bytes",
      "Mapped address space (VmSize) of the processes with the most, whatever their group.");
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

  const std::string gp = m("group_");
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const Labels l = {{"group", groups[i].name}};
    const auto& s = sums[i];
    const auto& t = v.totals[i];
    out.gauge(gp + "processes", "Processes in the group.", s.processes, l);
    // A group that never had a process (most of the defaults on any one node) says only that.
    if (!v.ever[i]) continue;
    out.counter(gp + "cpu_seconds_total", "CPU time of the group's processes, by mode.", t.user,
                {{"group", groups[i].name}, {"mode", "user"}});
    out.counter(gp + "cpu_seconds_total", "CPU time of the group's processes, by mode.", t.system,
                {{"group", groups[i].name}, {"mode", "system"}});
    out.counter(gp + "context_switches_total", "Context switches of the group's threads.",
                t.voluntary, {{"group", groups[i].name}, {"type", "voluntary"}});
    out.counter(gp + "context_switches_total", "Context switches of the group's threads.",
                t.involuntary, {{"group", groups[i].name}, {"type", "involuntary"}});
    if (s.processes == 0) continue;
    out.gauge(gp + "open_fds", "Open file descriptors of the group's processes.", s.fds, l);
    out.gauge(gp + "max_fd_usage_ratio",
              "Highest open fds / soft fd limit among the group's processes.", s.usage, l);
    out.gauge(gp + "threads", "Threads of the group's processes.", s.threads, l);
    out.gauge(gp + "resident_bytes", "Resident memory (VmRSS) of the group.", s.resident, l);
    out.gauge(gp + "anon_bytes", "Resident anonymous memory (RssAnon) of the group.", s.anon, l);
    out.gauge(gp + "swap_bytes", "Swapped-out memory (VmSwap) of the group.", s.swap, l);
    out.gauge(gp + "mapped_bytes", "Mapped address space of the group (pmap -d mapped).", s.mapped,
              l);
    out.gauge(gp + "writeable_private_bytes",
              "Private writable mappings of the group (pmap -d writeable/private).",
              s.writeable_private, l);
    out.gauge(gp + "shared_bytes", "Shared mappings of the group (pmap -d shared).", s.shared, l);
    out.gauge(gp + "mappings", "Memory mappings of the group's processes.", s.mappings, l);
    if (s.has_pss) out.gauge(gp + "pss_bytes", "Proportional set size of the group.", s.pss, l);
    if (groups[i].fd_kinds) {
      for (int k = 0; k < kFdKinds; ++k) {
        out.gauge(gp + "open_fds_by_kind", "Open fds of the group by kind.", s.kinds[k],
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
    if (r.fds) out.gauge(m("open_fds"), "Open file descriptors.", static_cast<double>(*r.fds), l);
    if (r.max_fds) {
      out.gauge(m("max_fds"), "Soft limit on open file descriptors (RLIMIT_NOFILE).",
                static_cast<double>(*r.max_fds), l);
    }
    if (r.has_kinds) {
      for (int k = 0; k < kFdKinds; ++k) {
        Labels x = l;
        x.emplace_back("kind", std::string(fd_kind_name(static_cast<FdKind>(k))));
        out.gauge(m("open_fds_by_kind"), "Open fds by kind (socket, pipe, anon_inode, ...).",
                  static_cast<double>(r.kinds[k]), x);
      }
    }
    out.gauge(m("threads"), "Threads.", r.threads, l);
    out.counter(m("cpu_seconds_total"), "CPU time by mode.", r.counters.user, with("mode", "user"));
    out.counter(m("cpu_seconds_total"), "CPU time by mode.", r.counters.system,
                with("mode", "system"));
    if (r.has_ctxt) {
      out.counter(m("context_switches_total"), "Context switches of all threads.",
                  r.counters.voluntary, with("type", "voluntary"));
      out.counter(m("context_switches_total"), "Context switches of all threads.",
                  r.counters.involuntary, with("type", "involuntary"));
    }
    if (v.has_btime) {
      out.gauge(m("start_time_seconds"), "Start time, seconds since the epoch.", r.start_time, l);
    }
    memory(out, std::string(kP), l, r);
  }

  emit_top(out, v);
  out.counter(m("read_errors_total"), "Process files that could not be read, by reason.",
              v.read_errors[0], {{"reason", "permission"}});
  out.counter(m("read_errors_total"), "Process files that could not be read, by reason.",
              v.read_errors[1], {{"reason", "other"}});
  out.gauge(m("scanned"), "Processes seen in the last scrape.", static_cast<double>(v.scanned));
}

}  // namespace virtnet::process
