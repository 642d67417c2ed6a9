#include "collectors/process/process_collector.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "collectors/process/process_config.h"
#include "collectors/process/process_parse.h"
#include "exporter/logging.h"
#include "exporter/parse_error.h"
#include "exporter/proc_pid_parse.h"

namespace virtnet::process {

namespace {

// A process is known by (pid, start time): a reused pid is a different process.
struct Key {
  std::int64_t pid;
  std::uint64_t start;
  bool operator==(const Key&) const = default;
};
struct KeyHash {
  std::size_t operator()(const Key& k) const {
    return std::hash<std::int64_t>()(k.pid) * 31u + std::hash<std::uint64_t>()(k.start);
  }
};

// Counter readings of one process, for the group counters.
struct Counters {
  double user = 0, system = 0, voluntary = 0, involuntary = 0;
};

// What one scrape read of a process in a group.
struct Reading {
  Key key{};
  int group = -1;
  std::string comm, domain;
  Counters counters;
  bool has_ctxt = false;
  double threads = 0, start_time = 0;
  std::optional<std::uint64_t> fds, max_fds, pss;
  std::array<std::uint64_t, kFdKinds> kinds{};
  bool has_kinds = false;
  Status status;
  std::optional<MapsSummary> maps;
};

// Candidates for the top-N lists, kept for every process.
struct Candidate {
  std::int64_t pid;
  std::string comm;
  int group;
  std::uint64_t fds, mapped;
};

enum class Outcome { kOk, kGone, kFailed };

constexpr std::size_t kMaxMapsBytes = 64u << 20;

constexpr std::string_view kP = "virtnet_process_";

std::string m(std::string_view suffix) {
  std::string s(kP);
  s += suffix;
  return s;
}

class ProcessCollector : public Collector {
 public:
  ProcessCollector(const CollectorOptions& o, const Sources& src)
      : proc_(src.proc),
        matcher_(parse_groups_text(o.get_string("groups"))),
        top_n_(static_cast<std::size_t>(o.get_int("top_n"))),
        ticks_(static_cast<double>(sysconf(_SC_CLK_TCK))),
        totals_(matcher_.groups().size()),
        ever_(matcher_.groups().size()) {}

  std::string_view name() const override { return "process"; }

  CollectStatus collect(MetricSink& out) override {
    if (!btime_) {
      int err = 0;
      if (proc_.read_into("stat", buf_, &err) == ReadStatus::kOk) {
        try {
          btime_ = static_cast<double>(parse_btime(buf_));
        } catch (const ParseError& e) {
          log_error("collector failed", {{"collector", "process"}, {"err", e.what()}});
          return CollectStatus::kError;
        }
      }
    }
    pids_.clear();
    int err = 0;
    auto st = proc_.list_dir(
        "",
        [&](std::string_view n) {
          if (!n.empty() && n.find_first_not_of("0123456789") == std::string_view::npos) {
            pids_.emplace_back(n);
          }
        },
        &err);
    if (st != ReadStatus::kOk) {
      log_error("collector failed",
                {{"collector", "process"},
                 {"err", "cannot list " + proc_.root() + ": " + std::strerror(err)}});
      return CollectStatus::kError;
    }
    readings_.clear();
    candidates_.clear();
    seen_.clear();
    for (const auto& pid : pids_) read_process(pid);
    update_totals();
    emit(out);
    return CollectStatus::kOk;
  }

 private:
  // Which files of a process were refused. Hardened hosts audit every denied open, so a refused
  // file is not tried again for that process (pid, start time): the failure is counted and
  // logged once, not at every scrape.
  enum File : unsigned {
    kStatus = 1,
    kLimits = 2,
    kMaps = 4,
    kSmaps = 8,
    kCmdline = 16,
    kFd = 32,
    kTask = 64,
    kExe = 128
  };
  struct Refused {
    unsigned files = 0;
    bool logged = false;
  };

  // ENOENT/ESRCH mean the process exited (not an error); permission and other errors are
  // counted by reason, remembered and logged once per process.
  Outcome settle(ReadStatus st, int err, const Key& key, File file, const std::string& rel) {
    if (st == ReadStatus::kOk) return Outcome::kOk;
    if (st == ReadStatus::kAbsent) return Outcome::kGone;
    read_errors_[st == ReadStatus::kDenied ? 0 : 1] += 1;
    auto& r = refused_[key];
    if (st == ReadStatus::kDenied) r.files |= file;
    if (!r.logged) {
      r.logged = true;
      log_warn("cannot read process file (not retried for this process)",
               {{"collector", "process"}, {"path", proc_.path(rel)}, {"err", std::strerror(err)}});
    }
    return Outcome::kFailed;
  }

  bool refused(const Key& key, File file) const {
    auto it = refused_.find(key);
    return it != refused_.end() && (it->second.files & file);
  }

  Outcome read(const Key& key, File file, const std::string& rel, std::string& into,
               std::size_t max_bytes = FsRoot::kDefaultMaxBytes) {
    if (refused(key, file)) return Outcome::kFailed;
    int err = 0;
    auto st = proc_.read_into(rel, into, &err, max_bytes);
    return settle(st, err, key, file, rel);
  }

  void read_process(const std::string& pid) {
    const std::string dir = pid + "/";
    int err = 0;
    if (proc_.read_into(dir + "stat", buf_, &err) != ReadStatus::kOk) return;  // gone
    ProcStat ps;
    try {
      ps = parse_proc_stat(buf_);
    } catch (const ParseError& e) {
      read_errors_[1] += 1;
      log_warn("cannot parse process file",
               {{"collector", "process"}, {"path", proc_.path(dir + "stat")}, {"err", e.what()}});
      return;
    }
    const Key key{ps.pid, ps.starttime_ticks};
    seen_.insert(key);
    // Kernel threads have no files, maps or command line: nothing to read, and their fd
    // directories are refused to an unprivileged reader (an audit record each).
    if (ps.flags & kPfKthread) return;
    const int group = matcher_.match(
        ps.comm, [&] { return exe_name(dir, key); }, [&] { return cmdline(dir, key); });

    Reading r;
    r.key = key;
    r.group = group;
    const bool kinds = group >= 0 && matcher_.groups()[group].fd_kinds;
    if (count_fds(dir, kinds, key, r) == Outcome::kGone) return;
    if (top_n_ > 0 && ps.vsize_bytes > 0) {
      candidates_.push_back({ps.pid, ps.comm, group, r.fds.value_or(0), ps.vsize_bytes});
    }
    if (group < 0) return;

    const Group& g = matcher_.groups()[group];
    r.comm = ps.comm;
    r.counters.user = static_cast<double>(ps.utime_ticks) / ticks_;
    r.counters.system = static_cast<double>(ps.stime_ticks) / ticks_;
    r.threads = static_cast<double>(ps.num_threads);
    r.start_time = btime_.value_or(0) + static_cast<double>(ps.starttime_ticks) / ticks_;
    try {
      auto o = read(key, kStatus, dir + "status", buf_);
      if (o == Outcome::kGone) return;
      if (o == Outcome::kOk) r.status = parse_status(buf_);
      o = read(key, kLimits, dir + "limits", buf_);
      if (o == Outcome::kGone) return;
      if (o == Outcome::kOk) r.max_fds = parse_limits_open_files(buf_).soft;
      // ~100 bytes a mapping: the default 4 MiB cap would cut a 40,000-mapping process (a big
      // database or JVM) mid-line. The buffer is let go after such a read, not kept.
      o = read(key, kMaps, dir + "maps", buf_, kMaxMapsBytes);
      if (o == Outcome::kGone) return;
      if (o == Outcome::kOk) r.maps = parse_maps(buf_);
      if (buf_.capacity() > FsRoot::kDefaultMaxBytes) std::string().swap(buf_);
      if (context_switches(dir, ps.num_threads, key, r) == Outcome::kGone) return;
      if (g.smaps && r.status.vm_rss && *r.status.vm_rss <= g.smaps_max_rss_bytes) {
        o = read(key, kSmaps, dir + "smaps_rollup", buf_);
        if (o == Outcome::kGone) return;
        if (o == Outcome::kOk) r.pss = parse_smaps_rollup_pss(buf_);
      }
    } catch (const ParseError& e) {
      read_errors_[1] += 1;
      log_warn("cannot parse process file",
               {{"collector", "process"}, {"pid", pid}, {"err", e.what()}});
      return;
    }
    if (g.per_process && ps.comm.rfind("qemu", 0) == 0) r.domain = qemu_domain(cmdline(dir, key));
    readings_.push_back(std::move(r));
  }

  std::string cmdline(const std::string& dir, const Key& key) {
    if (read(key, kCmdline, dir + "cmdline", buf2_) != Outcome::kOk) return "";
    return buf2_;
  }

  std::string exe_name(const std::string& dir, const Key& key) {
    if (refused(key, kExe)) return "";
    std::string target;
    int err = 0;
    auto st = proc_.readlink(dir + "exe", target, &err);
    if (settle(st, err, key, kExe, dir + "exe") != Outcome::kOk) return "";
    return target.substr(target.rfind('/') + 1);
  }

  Outcome count_fds(const std::string& dir, bool kinds, const Key& key, Reading& r) {
    if (refused(key, kFd)) return Outcome::kFailed;
    const std::string fd_dir = dir + "fd";
    // Listing /proc/PID/fd builds a dentry per fd (a third of the collector's time on a
    // hypervisor); where the kernel gives the count in st_size, a count costs one stat().
    if (!kinds) {
      if (auto n = proc_.proc_fd_count(fd_dir)) {
        r.fds = *n;
        return Outcome::kOk;
      }
    }
    std::uint64_t n = 0;
    int err = 0;
    std::vector<std::string>* names = kinds ? &fd_names_ : nullptr;
    if (names) names->clear();
    auto st = proc_.list_dir(
        fd_dir,
        [&](std::string_view name) {
          ++n;
          if (names) names->emplace_back(name);
        },
        &err);
    auto o = settle(st, err, key, kFd, fd_dir);
    if (o != Outcome::kOk) return o;
    r.fds = n;
    if (!names) return Outcome::kOk;
    std::string target;
    for (const auto& name : *names) {
      const std::string link = fd_dir + "/" + name;
      st = proc_.readlink(link, target, &err);
      if (st == ReadStatus::kAbsent) continue;  // closed since the listing
      if (settle(st, err, key, kFd, link) != Outcome::kOk) return Outcome::kFailed;
      ++r.kinds[static_cast<std::size_t>(classify_fd_target(target))];
    }
    r.has_kinds = true;
    return Outcome::kOk;
  }

  // /proc/PID/status counts only the main thread's switches; a process's are its threads' sum.
  Outcome context_switches(const std::string& dir, std::int64_t threads, const Key& key,
                           Reading& r) {
    if (threads <= 1) {
      if (r.status.voluntary_ctxt_switches && r.status.nonvoluntary_ctxt_switches) {
        r.counters.voluntary = static_cast<double>(*r.status.voluntary_ctxt_switches);
        r.counters.involuntary = static_cast<double>(*r.status.nonvoluntary_ctxt_switches);
        r.has_ctxt = true;
      }
      return Outcome::kOk;
    }
    if (refused(key, kTask)) return Outcome::kFailed;
    tids_.clear();
    int err = 0;
    const std::string task = dir + "task";
    auto st = proc_.list_dir(
        task, [&](std::string_view t) { tids_.emplace_back(t); }, &err);
    auto o = settle(st, err, key, kTask, task);
    if (o != Outcome::kOk) return o;
    double vol = 0, invol = 0;
    for (const auto& tid : tids_) {
      o = read(key, kTask, task + "/" + tid + "/status", buf_);
      if (o == Outcome::kGone) continue;  // a thread that ended; its switches go with it
      if (o != Outcome::kOk) return Outcome::kFailed;
      auto s = parse_status(buf_);
      vol += static_cast<double>(s.voluntary_ctxt_switches.value_or(0));
      invol += static_cast<double>(s.nonvoluntary_ctxt_switches.value_or(0));
    }
    r.counters.voluntary = vol;
    r.counters.involuntary = invol;
    r.has_ctxt = true;
    return Outcome::kOk;
  }

  // Group counters must never go down when a member exits: they add each process's increase
  // since the last scrape (all of it for a process seen first), keyed on (pid, start time).
  void update_totals() {
    for (const auto& r : readings_) {
      auto& t = totals_[static_cast<std::size_t>(r.group)];
      auto it = last_.find(r.key);
      const Counters before = it == last_.end() ? Counters{} : it->second;
      auto add = [](double& total, double now, double then) { total += std::max(0.0, now - then); };
      add(t.user, r.counters.user, before.user);
      add(t.system, r.counters.system, before.system);
      if (r.has_ctxt) {
        add(t.voluntary, r.counters.voluntary, before.voluntary);
        add(t.involuntary, r.counters.involuntary, before.involuntary);
      }
      last_[r.key] = r.counters;
    }
    std::erase_if(last_, [&](const auto& kv) { return !seen_.count(kv.first); });
    std::erase_if(refused_, [&](const auto& kv) { return !seen_.count(kv.first); });
  }

  struct Sums {
    double processes = 0, fds = 0, threads = 0, resident = 0, anon = 0, swap = 0, mapped = 0,
           writeable_private = 0, shared = 0, mappings = 0, pss = 0, usage = 0;
    std::array<double, kFdKinds> kinds{};
    bool has_pss = false;
  };

  static void memory(MetricSink& out, const std::string& prefix, const Labels& l,
                     const Reading& r) {
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

  void emit(MetricSink& out) {
    const auto& groups = matcher_.groups();
    std::vector<Sums> sums(groups.size());
    for (const auto& r : readings_) {
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
      const auto& t = totals_[i];
      out.gauge(gp + "processes", "Processes in the group.", s.processes, l);
      // A group that never had a process (most of the defaults on any one node) says only that.
      if (s.processes > 0) ever_[i] = true;
      if (!ever_[i]) continue;
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
      out.gauge(gp + "mapped_bytes", "Mapped address space of the group (pmap -d mapped).",
                s.mapped, l);
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

    for (const auto& r : readings_) {
      const Group& g = groups[static_cast<std::size_t>(r.group)];
      if (!g.per_process) continue;
      Labels l = {{"group", g.name}, {"pid", std::to_string(r.key.pid)}, {"comm", r.comm}};
      if (!r.domain.empty()) l.emplace_back("domain", r.domain);
      auto with = [&](const char* k, const char* v) {
        Labels x = l;
        x.emplace_back(k, v);
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
      out.counter(m("cpu_seconds_total"), "CPU time by mode.", r.counters.user,
                  with("mode", "user"));
      out.counter(m("cpu_seconds_total"), "CPU time by mode.", r.counters.system,
                  with("mode", "system"));
      if (r.has_ctxt) {
        out.counter(m("context_switches_total"), "Context switches of all threads.",
                    r.counters.voluntary, with("type", "voluntary"));
        out.counter(m("context_switches_total"), "Context switches of all threads.",
                    r.counters.involuntary, with("type", "involuntary"));
      }
      if (btime_) {
        out.gauge(m("start_time_seconds"), "Start time, seconds since the epoch.", r.start_time, l);
      }
      memory(out, std::string(kP), l, r);
    }

    emit_top(out);
    out.counter(m("read_errors_total"), "Process files that could not be read, by reason.",
                read_errors_[0], {{"reason", "permission"}});
    out.counter(m("read_errors_total"), "Process files that could not be read, by reason.",
                read_errors_[1], {{"reason", "other"}});
    out.gauge(m("scanned"), "Processes seen in the last scrape.",
              static_cast<double>(seen_.size()));
  }

  void emit_top(MetricSink& out) {
    if (top_n_ == 0) return;
    const auto& groups = matcher_.groups();
    auto top = [&](auto field, const char* metric, const char* help) {
      const std::size_t n = std::min(top_n_, candidates_.size());
      std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<long>(n),
                        candidates_.end(), [&](const Candidate& a, const Candidate& b) {
                          return field(a) != field(b) ? field(a) > field(b) : a.pid < b.pid;
                        });
      for (std::size_t i = 0; i < n; ++i) {
        const auto& c = candidates_[i];
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

  FsRoot proc_;
  Matcher matcher_;
  std::size_t top_n_;
  double ticks_;
  std::optional<double> btime_;
  std::vector<Counters> totals_;
  std::vector<bool> ever_;  // per group: has had a process since start-up
  std::unordered_map<Key, Counters, KeyHash> last_;
  std::unordered_set<Key, KeyHash> seen_;
  std::unordered_map<Key, Refused, KeyHash> refused_;
  std::array<double, 2> read_errors_{};  // permission, other
  // Reused across scrapes: the walk reads thousands of files.
  std::string buf_, buf2_;
  std::vector<std::string> pids_, tids_, fd_names_;
  std::vector<Reading> readings_;
  std::vector<Candidate> candidates_;
};

}  // namespace

CollectorInfo process_info() {
  auto groups = OptionSpec::make("groups", OptionType::kYaml, kDefaultGroupsYaml,
                                 "Process groups (config file only; see README).");
  groups.validate_yaml = [](const YAML::Node& n, const std::string& file) {
    parse_groups(n, file);
  };
  return {
      "process",
      "Per-group and per-process fds, threads, CPU, context switches and pmap -d memory "
      "(/proc/PID), plus the top processes by fds and mapped memory.",
      true,
      {groups, OptionSpec::integer("top_n", 10, 0, 100,
                                   "How many processes to list by open fds and by mapped "
                                   "memory (0: none).")},
      [](const CollectorOptions& o, const Sources& s) -> std::unique_ptr<Collector> {
        return std::make_unique<ProcessCollector>(o, s);
      },
  };
}

}  // namespace virtnet::process
