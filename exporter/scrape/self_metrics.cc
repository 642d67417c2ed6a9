#include "exporter/scrape/self_metrics.h"

#include <dirent.h>
#include <unistd.h>

#include "exporter/common/parse_error.h"
#include "exporter/common/version.h"
#include "exporter/sources/fs_root.h"
#include "exporter/sources/proc_pid_parse.h"

namespace virtnet {

namespace {

constexpr auto kBuildInfo = MetricDef::gauge(
    "virtnet_exporter_build_info",
    "A metric with a constant '1' value labeled by version, revision and compiler.");
constexpr auto kCpu = MetricDef::counter("process_cpu_seconds_total",
                                         "Total user and system CPU time spent in seconds.");
constexpr auto kResident =
    MetricDef::gauge("process_resident_memory_bytes", "Resident memory size in bytes.");
constexpr auto kVirtual =
    MetricDef::gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.");
constexpr auto kStart = MetricDef::gauge("process_start_time_seconds",
                                         "Start time of the process since unix epoch in seconds.");
constexpr auto kFds = MetricDef::gauge("process_open_fds", "Number of open file descriptors.");
constexpr auto kMaxFds =
    MetricDef::gauge("process_max_fds", "Maximum number of open file descriptors.");

double count_fds() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  double n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n - 1;  // the directory stream's own fd
}

// Boot time does not change while we run; read it once.
double boot_time() {
  static const double btime = [] {
    auto r = FsRoot("/proc").read("stat");
    try {
      return r.status == ReadStatus::kOk ? static_cast<double>(parse_btime(r.data)) : 0.0;
    } catch (const ParseError&) {
      return 0.0;
    }
  }();
  return btime;
}

}  // namespace

void append_self_metrics(MetricSink& out) {
  out.add(kBuildInfo, 1, {{"version", kVersion}, {"revision", kRevision}, {"compiler", kCompiler}});
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  static const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  FsRoot self("/proc/self");
  try {
    auto stat = self.read("stat");
    if (stat.status == ReadStatus::kOk) {
      auto s = parse_proc_stat(stat.data);
      out.add(kCpu, static_cast<double>(s.utime_ticks + s.stime_ticks) / ticks);
      out.add(kResident, static_cast<double>(s.rss_pages) * page);
      out.add(kVirtual, static_cast<double>(s.vsize_bytes));
      out.add(kStart, boot_time() + static_cast<double>(s.starttime_ticks) / ticks);
    }
    // Left out when unknown, never -1: a ratio over them must not turn negative.
    if (const double fds = count_fds(); fds >= 0) {
      out.add(kFds, fds);
    }
    auto limits = self.read("limits");
    if (limits.status == ReadStatus::kOk) {
      auto l = parse_limits_open_files(limits.data);
      if (l.soft) {
        out.add(kMaxFds, static_cast<double>(*l.soft));
      }
    }
  } catch (const ParseError&) {
    // /proc/self is the kernel's own output; a parse failure here would be a kernel change.
    // The scrape carries on without these series.
  }
}

const std::vector<MetricDef>& self_metric_defs() {
  static const std::vector<MetricDef> defs = {kBuildInfo, kCpu, kResident, kVirtual,
                                              kStart,     kFds, kMaxFds};
  return defs;
}

}  // namespace virtnet
