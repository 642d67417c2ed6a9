#include "collectors/process/process_collector.h"

#include <linux/capability.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "collectors/process/process_config.h"
#include "collectors/process/process_metrics.h"
#include "collectors/process/process_parse.h"
#include "collectors/process/process_state.h"
#include "collectors/qemu/qemu_parse.h"
#include "exporter/common/logging.h"
#include "exporter/common/parse_error.h"
#include "exporter/sources/proc_pid_parse.h"
#include "exporter/sources/proc_walk.h"

namespace virtnet::process {

namespace {

enum class Outcome { kOk, kGone, kFailed };

constexpr std::size_t kMaxMapsBytes = 64u << 20;
// Below this many fds a process in no group is not near any soft limit in use (1024 by default,
// rarely under 256): its limits are not read.
constexpr std::uint64_t kFdsWorthALimit = 32;

class ProcessCollector : public Collector {
 public:
  ProcessCollector(const CollectorOptions& o, const Sources& src)
      : proc_(src.proc),
        walk_(ProcWalk::for_collector(src.proc_walk, src.proc)),
        matcher_(o.get_structured<std::vector<Group>>("groups")),
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
          return out.fail(e.what());
        }
      }
    }
    // The walk of /proc (each process's stat) is shared with the other collectors that need it.
    const auto table = walk_->get();
    if (!table->error.empty()) return out.fail(table->error);
    if (table->seq != last_walk_) {  // a walk shared with another collector is counted once
      last_walk_ = table->seq;
      read_errors_[1] += static_cast<double>(table->unparsable);
    }
    readings_.clear();
    candidates_.clear();
    scanned_ = 0;
    ++generation_;
    for (const auto& ps : table->procs) read_process(*table, ps);
    update_totals();
    ScrapeView view{matcher_.groups(),  readings_,    candidates_, totals_, ever_, top_n_,
                    btime_.has_value(), read_errors_, scanned_};
    emit_process_metrics(out, view);
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
  struct ThreadSwitches {
    std::int64_t tid = 0;
    std::optional<Schedstat> sched;  // none: not readable, status is read at every scrape
    double voluntary = 0, involuntary = 0;
  };
  // What is kept about a process between scrapes, keyed on (pid, start time).
  struct ProcState {
    std::uint64_t generation = 0;  // the last scrape that saw it
    Counters last;                 // for the group counters
    unsigned refused = 0;          // File bits refused with EACCES: not tried again
    bool logged = false;           // a read failure was logged
    bool parse_logged = false;     // a parse failure was logged
    // The group and qemu domain do not change while the comm does not: matched once (cmdline and
    // exe groups read a file for that), again after an exec changes the comm.
    std::string comm;
    int group = kUnmatched;
    std::optional<std::string> domain;
    // Per thread (by tid, sorted), its switch counts as last read and the schedstat they were
    // read beside: while the schedstat stays the same the thread has not run, and its status
    // (the costliest file of a thread to make) is not read again.
    std::vector<ThreadSwitches> threads;
  };
  static constexpr int kUnmatched = -2;

  // ENOENT/ESRCH mean the process exited (not an error); permission and other errors are
  // counted by reason, remembered and logged once per process.
  Outcome settle(ReadStatus st, int err, const Key& key, File file, const std::string& rel) {
    if (st == ReadStatus::kOk) return Outcome::kOk;
    if (st == ReadStatus::kAbsent) return Outcome::kGone;
    read_errors_[st == ReadStatus::kDenied ? 0 : 1] += 1;
    auto& p = procs_[key];
    if (st == ReadStatus::kDenied) p.refused |= file;
    if (!p.logged) {
      p.logged = true;
      log_warn("cannot read process file (not retried for this process)",
               {{"collector", "process"}, {"path", proc_.path(rel)}, {"err", std::strerror(err)}});
    }
    return Outcome::kFailed;
  }

  bool refused(const Key& key, File file) const {
    auto it = procs_.find(key);
    return it != procs_.end() && (it->second.refused & file);
  }

  Outcome read(const Key& key, File file, const std::string& rel, std::string& into,
               std::size_t max_bytes = FsRoot::kDefaultMaxBytes) {
    if (refused(key, file)) return Outcome::kFailed;
    int err = 0;
    auto st = proc_.read_into(rel, into, &err, max_bytes);
    return settle(st, err, key, file, rel);
  }

  void read_process(const ProcTable& table, const ProcStat& ps) {
    const std::string pid = std::to_string(ps.pid);
    const std::string dir = pid + "/";
    const Key key{ps.pid, ps.starttime_ticks};
    ++scanned_;
    // Kernel threads have no files, maps or command line: nothing to read, and their fd
    // directories are refused to an unprivileged reader (an audit record each).
    if (ps.flags & kPfKthread) return;
    auto& state = procs_[key];  // later procs_[key] calls find this entry: no rehash
    state.generation = generation_;
    if (state.group == kUnmatched || state.comm != ps.comm) {
      state.group = matcher_.match(
          ps.comm, [&] { return exe_name(dir, key); }, [&] { return cmdline(dir, key); });
      state.comm = ps.comm;
      state.domain.reset();
    }
    const int group = state.group;
    Reading r;
    r.key = key;
    r.group = group;
    const bool kinds = group >= 0 && matcher_.groups()[group].fd_kinds;
    // An unmatched process's fds serve only the top-N: not counted when there is none.
    if ((group >= 0 || top_n_ > 0) && count_fds(dir, kinds, key, r) == Outcome::kGone) return;
    Candidate* candidate = nullptr;  // the last element until this process is read
    if (top_n_ > 0 && ps.vsize_bytes > 0) {
      candidates_.push_back({ps.pid, ps.comm, group, r.fds.value_or(0), ps.vsize_bytes});
      candidate = &candidates_.back();
    }
    if (group < 0) {
      // A process in no group is ranked by its fd usage too (a leaking daemon nobody grouped):
      // its limits are read when it holds enough fds to come near any limit in use.
      if (candidate && candidate->fds >= kFdsWorthALimit &&
          read(key, kLimits, dir + "limits", buf_) == Outcome::kOk) {
        try {
          candidate->max_fds = parse_limits_open_files(buf_).soft.value_or(0);
        } catch (const ParseError&) {
          read_errors_[1] += 1;
        }
      }
      return;
    }

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
      if (candidate && r.max_fds) candidate->max_fds = *r.max_fds;
      // ~100 bytes a mapping: the default 4 MiB cap would cut a 40,000-mapping process (a big
      // database or JVM) mid-line. The buffer is let go after such a read, not kept.
      o = read(key, kMaps, dir + "maps", buf_, kMaxMapsBytes);
      if (o == Outcome::kGone) return;
      if (o == Outcome::kOk) r.maps = parse_maps(buf_);
      if (buf_.capacity() > FsRoot::kDefaultMaxBytes) std::string().swap(buf_);
      if (context_switches(table, ps, dir, key, r) == Outcome::kGone) return;
      if (g.smaps && r.status.vm_rss && *r.status.vm_rss <= g.smaps_max_rss_bytes) {
        o = read(key, kSmaps, dir + "smaps_rollup", buf_);
        if (o == Outcome::kGone) return;
        if (o == Outcome::kOk) r.pss = parse_smaps_rollup_pss(buf_);
      }
    } catch (const ParseError& e) {
      read_errors_[1] += 1;
      // Counted at every scrape; logged once for the process (pid and start time).
      if (!state.parse_logged) {
        state.parse_logged = true;
        log_warn("cannot parse process file (logged once for this process)",
                 {{"collector", "process"}, {"pid", pid}, {"err", e.what()}});
      }
      return;
    }
    if (g.per_process && qemu::is_qemu(ps.comm)) {
      // Kept as it will be exported: a -name of 131 KB must not sit in the state of every qemu.
      if (!state.domain) {
        state.domain = qemu::domain_label(qemu_domain(cmdline(dir, key)), ps.pid, false);
      }
      r.domain = *state.domain;
    }
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
  Outcome context_switches(const ProcTable& table, const ProcStat& ps, const std::string& dir,
                           const Key& key, Reading& r) {
    const std::int64_t threads = ps.num_threads;
    if (threads <= 1) {
      if (r.status.voluntary_ctxt_switches && r.status.nonvoluntary_ctxt_switches) {
        r.counters.voluntary = static_cast<double>(*r.status.voluntary_ctxt_switches);
        r.counters.involuntary = static_cast<double>(*r.status.nonvoluntary_ctxt_switches);
        r.has_ctxt = true;
      }
      return Outcome::kOk;
    }
    if (refused(key, kTask)) return Outcome::kFailed;
    const std::string task = dir + "task";
    // Listed, and each thread's schedstat read, once a scrape for every collector that asks.
    const auto list = walk_->threads(table, ps);
    auto o = settle(list->status, list->err, key, kTask, task);
    if (o != Outcome::kOk) return o;
    auto& before = procs_[key].threads;
    std::vector<ThreadSwitches> now;
    now.reserve(list->threads.size());
    double vol = 0, invol = 0;
    for (const auto& ts : list->threads) {
      ThreadSwitches t;
      t.tid = ts.tid;
      // The main thread's counts are the process's status (read already): that file again.
      if (t.tid == key.pid && r.status.voluntary_ctxt_switches &&
          r.status.nonvoluntary_ctxt_switches) {
        vol += static_cast<double>(*r.status.voluntary_ctxt_switches);
        invol += static_cast<double>(*r.status.nonvoluntary_ctxt_switches);
        continue;
      }
      const std::string tdir = task + "/" + std::to_string(ts.tid);
      t.sched = ts.sched;
      auto it = std::lower_bound(before.begin(), before.end(), t.tid,
                                 [](const ThreadSwitches& a, std::int64_t b) { return a.tid < b; });
      if (t.sched && it != before.end() && it->tid == t.tid && it->sched == t.sched) {
        t.voluntary = it->voluntary;  // has not run since: its counts are those read then
        t.involuntary = it->involuntary;
      } else {
        o = read(key, kTask, tdir + "/status", buf_);
        if (o == Outcome::kGone) continue;  // a thread that ended; its switches go with it
        if (o != Outcome::kOk) return Outcome::kFailed;
        auto s = parse_status(buf_);
        t.voluntary = static_cast<double>(s.voluntary_ctxt_switches.value_or(0));
        t.involuntary = static_cast<double>(s.nonvoluntary_ctxt_switches.value_or(0));
      }
      vol += t.voluntary;
      invol += t.involuntary;
      now.push_back(t);
    }
    std::sort(now.begin(), now.end(),
              [](const ThreadSwitches& a, const ThreadSwitches& b) { return a.tid < b.tid; });
    before = std::move(now);
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
      auto& state = procs_.at(r.key);
      const Counters before = state.last;  // zeros for a process seen first
      auto add = [](double& total, double now, double then) { total += std::max(0.0, now - then); };
      add(t.user, r.counters.user, before.user);
      add(t.system, r.counters.system, before.system);
      if (r.has_ctxt) {
        add(t.voluntary, r.counters.voluntary, before.voluntary);
        add(t.involuntary, r.counters.involuntary, before.involuntary);
      }
      state.last.user = r.counters.user;
      state.last.system = r.counters.system;
      if (r.has_ctxt) {  // a scrape without them must not make the next one count all again
        state.last.voluntary = r.counters.voluntary;
        state.last.involuntary = r.counters.involuntary;
      }
      ever_[static_cast<std::size_t>(r.group)] = true;
    }
    std::erase_if(procs_, [&](const auto& kv) { return kv.second.generation != generation_; });
  }

  FsRoot proc_;
  std::shared_ptr<ProcWalk> walk_;
  std::uint64_t last_walk_ = 0;
  Matcher matcher_;
  std::size_t top_n_;
  double ticks_;
  std::optional<double> btime_;
  std::vector<Counters> totals_;
  std::vector<bool> ever_;  // per group: has had a process since start-up
  std::unordered_map<Key, ProcState, KeyHash> procs_;
  std::uint64_t generation_ = 0;
  std::size_t scanned_ = 0;
  std::array<double, 2> read_errors_{};  // permission, other
  // Reused across scrapes: the walk reads thousands of files.
  std::string buf_, buf2_;
  std::vector<std::string> fd_names_;
  std::vector<Reading> readings_;
  std::vector<Candidate> candidates_;
};

}  // namespace

CollectorInfo process_info() {
  auto groups = OptionSpec::structured<std::vector<Group>>(
      "groups", kDefaultGroupsYaml,
      "Process groups (config file only; see docs/collectors/process.md).", parse_groups);
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
      [](const CollectorOptions&) {
        return std::vector<CapabilityNeed>{
            {CAP_SYS_PTRACE, "to read other users' /proc/PID/maps and fd links"},
            {CAP_DAC_READ_SEARCH, "to list other users' /proc/PID/fd"},
        };
      },
      process_metric_defs(),
      process_conditions(),
  };
}

}  // namespace virtnet::process
