#include "collectors/qemu/qemu_collector.h"

#include <unistd.h>

#include <array>
#include <set>
#include <unordered_map>

#include "collectors/qemu/qemu_parse.h"
#include "exporter/common/logging.h"
#include "exporter/common/parse_error.h"
#include "exporter/sources/proc_pid_parse.h"
#include "exporter/sources/proc_walk.h"

namespace virtnet::qemu {

namespace {

constexpr std::size_t kClasses = 5;
constexpr std::array<ThreadClass, kClasses> kAllClasses = {ThreadClass::kVcpu, ThreadClass::kVhost,
                                                           ThreadClass::kIothread,
                                                           ThreadClass::kMain, ThreadClass::kOther};

constexpr auto kVmInfo =
    MetricDef::gauge("virtnet_qemu_vm_info", "A qemu process: its domain, UUID and pid.");
constexpr auto kThreads = MetricDef::gauge(
    "virtnet_qemu_threads", "Threads of the qemu by class (vcpu, vhost, iothread, main, other).");
constexpr auto kCpu = MetricDef::counter("virtnet_qemu_cpu_seconds_total",
                                         "CPU time of the qemu's threads by class and mode.");
constexpr auto kWait =
    MetricDef::counter("virtnet_qemu_run_queue_wait_seconds_total",
                       "Time the qemu's threads of the class waited on a run queue (schedstat).");
constexpr auto kVcpuCpu =
    MetricDef::counter("virtnet_qemu_vcpu_cpu_seconds_total", "CPU time of one vCPU thread.");
constexpr auto kVcpuWait = MetricDef::counter("virtnet_qemu_vcpu_run_queue_wait_seconds_total",
                                              "Run-queue wait of one vCPU thread.");
constexpr auto kNetdevInfo =
    MetricDef::gauge("virtnet_qemu_netdev_info", "A -netdev of the qemu, with its type.");
constexpr auto kNetdevVhost =
    MetricDef::gauge("virtnet_qemu_netdev_vhost",
                     "1 when vhost-net serves the tap netdev; 0 when qemu serves it in userspace.");
constexpr auto kVms = MetricDef::gauge("virtnet_qemu_vms", "qemu processes found.");
constexpr auto kMalformed =
    MetricDef::counter("virtnet_qemu_cmdline_malformed_total",
                       "-netdev values that could not be read, over the qemu processes seen.");
constexpr auto kVhostDevice =
    MetricDef::gauge("virtnet_qemu_vhost_net_device", "1 when /dev/vhost-net exists.");
constexpr auto kVhostModule = MetricDef::gauge(
    "virtnet_qemu_vhost_net_module", "1 when the vhost_net module is loaded or built in.");
constexpr auto kDefaultVhost = MetricDef::gauge(
    "virtnet_qemu_default_vhost_net_enabled",
    "VHOST_NET_ENABLED in /etc/default/qemu-kvm (0: the default that turns vhost-net off).");

// CPU and run-queue wait, as counters that never go down: a thread's increase since the last
// scrape is added (all of it for a thread seen first), so threads that end keep their share.
struct Usage {
  double user = 0, system = 0, wait = 0;
};

// A thread as last read. While its schedstat stays the same it has not run, so its CPU times and
// wait are as they were and its stat is not read again (its name, for the class, is re-read at
// least every kRefreshScrapes scrapes: another thread may rename it).
struct Thread {
  Usage last;
  std::optional<Schedstat> sched;
  ThreadKind kind;
  std::uint64_t read_at = 0;  // the scrape (generation) its stat was last read
};
constexpr std::uint64_t kRefreshScrapes = 20;

struct Vm {
  std::uint64_t generation = 0;
  bool parsed = false;
  Cmdline cmd;
  std::array<Usage, kClasses> totals{};
  std::array<double, kClasses> threads{};
  std::unordered_map<int, Usage> vcpu_totals;
  std::unordered_map<std::int64_t, Thread> last;  // per thread (tid)
};

class QemuCollector : public Collector {
 public:
  QemuCollector(const CollectorOptions& o, const Sources& src)
      : proc_(src.proc),
        sys_(src.sys),
        root_(src.root),
        walk_(ProcWalk::for_collector(src.proc_walk, src.proc)),
        per_vcpu_(o.get_bool("per_vcpu")),
        ticks_(static_cast<double>(sysconf(_SC_CLK_TCK))) {}

  std::string_view name() const override { return "qemu"; }

  CollectStatus collect(MetricSink& out) override {
    const auto table = walk_->get();
    if (!table->error.empty()) return out.fail(table->error);
    ++generation_;
    // Before Linux 6.4 vhost workers are kernel threads named vhost-<qemu pid>.
    std::unordered_map<std::int64_t, std::vector<const ProcStat*>> kernel_vhost;
    for (const auto& ps : table->procs) {
      if ((ps.flags & kPfKthread) && ps.comm.rfind("vhost-", 0) == 0) {
        try {
          kernel_vhost[static_cast<std::int64_t>(parse_u64(ps.comm.substr(6), "vhost"))].push_back(
              &ps);
        } catch (const ParseError&) {
        }
      }
    }
    std::set<std::string> domains;  // two qemu may carry one name: each series set stays unique
    std::size_t vms = 0;
    for (const auto& ps : table->procs) {
      if ((ps.flags & kPfKthread) || !is_qemu(ps.comm)) continue;
      auto it = kernel_vhost.find(ps.pid);
      static const std::vector<const ProcStat*> kNone;
      if (read_vm(*table, ps, it == kernel_vhost.end() ? kNone : it->second, domains, out)) ++vms;
    }
    std::erase_if(vms_, [&](const auto& kv) { return kv.second.generation != generation_; });
    out.add(kVms, static_cast<double>(vms));
    out.add(kMalformed, static_cast<double>(malformed_));
    emit_host(out);
    return CollectStatus::kOk;
  }

 private:
  // False when the process went away meanwhile.
  bool read_vm(const ProcTable& table, const ProcStat& ps,
               const std::vector<const ProcStat*>& kthreads, std::set<std::string>& domains,
               MetricSink& out) {
    const std::string dir = std::to_string(ps.pid) + "/";
    Vm& vm = vms_[ProcKey{ps.pid, ps.starttime_ticks}];
    vm.generation = generation_;
    int err = 0;
    if (!vm.parsed) {
      const auto st = proc_.read_into(dir + "cmdline", buf_, &err);
      if (st == ReadStatus::kAbsent) return false;
      if (st == ReadStatus::kOk) vm.cmd = parse_cmdline(buf_);
      vm.parsed = true;
      if (vm.cmd.malformed) {
        malformed_ += vm.cmd.malformed;
        log_warn("qemu command line has -netdev values that cannot be read",
                 {{"collector", "qemu"},
                  {"pid", std::to_string(ps.pid)},
                  {"count", std::to_string(vm.cmd.malformed)}});
      }
    }
    std::vector<std::int64_t> seen;
    vm.threads.fill(0);
    // Listed, and each thread's schedstat read, once a scrape for every collector that asks.
    const auto list = walk_->threads(table, ps);
    if (list->status == ReadStatus::kAbsent) return false;
    for (const auto& [tid, sched] : list->threads) {
      if (sched) {
        auto it = vm.last.find(tid);
        if (it != vm.last.end() && it->second.sched == sched &&
            generation_ - it->second.read_at < kRefreshScrapes) {
          vm.threads[static_cast<std::size_t>(it->second.kind.cls)] += 1;  // has not run since
          seen.push_back(tid);
          continue;
        }
      }
      const std::string path = dir + "task/" + std::to_string(tid) + "/stat";
      if (proc_.read_into(path, buf_, &err) != ReadStatus::kOk) continue;
      ProcStat ts;
      try {
        ts = parse_proc_stat(buf_);
      } catch (const ParseError&) {
        continue;
      }
      account(vm, classify_thread(ts.comm, ps.comm, ps.pid), ts, sched, seen);
    }
    for (const ProcStat* k : kthreads) {
      std::optional<Schedstat> sched;
      if (proc_.read_into(std::to_string(k->pid) + "/schedstat", buf_, &err) == ReadStatus::kOk) {
        sched = parse_schedstat(buf_);
      }
      account(vm, ThreadKind{ThreadClass::kVhost, std::nullopt}, *k, sched, seen);
    }
    std::erase_if(vm.last, [&](const auto& kv) {
      return std::find(seen.begin(), seen.end(), kv.first) == seen.end();
    });
    emit_vm(ps, vm, domains, out);
    return true;
  }

  void account(Vm& vm, const ThreadKind& kind, const ProcStat& ts,
               const std::optional<Schedstat>& sched, std::vector<std::int64_t>& seen) {
    const auto c = static_cast<std::size_t>(kind.cls);
    vm.threads[c] += 1;
    seen.push_back(ts.pid);
    Usage now{static_cast<double>(ts.utime_ticks) / ticks_,
              static_cast<double>(ts.stime_ticks) / ticks_,
              sched ? static_cast<double>(sched->wait_ns) / 1e9 : 0};
    Thread& thread = vm.last[ts.pid];
    const Usage before = thread.last;  // zeros for a thread seen first
    auto add = [](double& total, double a, double b) { total += std::max(0.0, a - b); };
    add(vm.totals[c].user, now.user, before.user);
    add(vm.totals[c].system, now.system, before.system);
    add(vm.totals[c].wait, now.wait, before.wait);
    if (per_vcpu_ && kind.vcpu) {
      auto& v = vm.vcpu_totals[*kind.vcpu];
      add(v.user, now.user, before.user);
      add(v.system, now.system, before.system);
      add(v.wait, now.wait, before.wait);
    }
    thread.last = now;
    thread.sched = sched;
    thread.kind = kind;
    thread.read_at = generation_;
  }

  void emit_vm(const ProcStat& ps, const Vm& vm, std::set<std::string>& domains, MetricSink& out) {
    std::string domain = domain_label(vm.cmd.domain, ps.pid, false);
    // A second qemu with the same name gets its pid; once more if a qemu is named so already.
    if (!domains.insert(domain).second) {
      domain = domain_label(vm.cmd.domain, ps.pid, true);
      while (!domains.insert(domain).second) domain += " (pid " + std::to_string(ps.pid) + ")";
    }
    out.add(kVmInfo, 1,
            {{"domain", domain}, {"uuid", vm.cmd.uuid}, {"pid", std::to_string(ps.pid)}});
    for (ThreadClass cls : kAllClasses) {
      const auto c = static_cast<std::size_t>(cls);
      const Labels l = {{"domain", domain}, {"class", std::string(thread_class_name(cls))}};
      out.add(kThreads, vm.threads[c], l);
      Labels user = l, system = l;
      user.push_back({"mode", "user"});
      system.push_back({"mode", "system"});
      out.add(kCpu, vm.totals[c].user, user);
      out.add(kCpu, vm.totals[c].system, system);
      out.add(kWait, vm.totals[c].wait, l);
    }
    for (const auto& [n, u] : vm.vcpu_totals) {
      const std::string idx = std::to_string(n);
      out.add(kVcpuCpu, u.user, {{"domain", domain}, {"vcpu", idx}, {"mode", "user"}});
      out.add(kVcpuCpu, u.system, {{"domain", domain}, {"vcpu", idx}, {"mode", "system"}});
      out.add(kVcpuWait, u.wait, {{"domain", domain}, {"vcpu", idx}});
    }
    for (const auto& n : vm.cmd.netdevs) {
      out.add(kNetdevInfo, 1, {{"domain", domain}, {"netdev", n.id}, {"type", n.type}});
      if (n.vhost) out.add(kNetdevVhost, *n.vhost ? 1 : 0, {{"domain", domain}, {"netdev", n.id}});
    }
  }

  void emit_host(MetricSink& out) {
    out.add(kVhostDevice, root_.exists("dev/vhost-net") ? 1 : 0);
    out.add(kVhostModule, sys_.exists("module/vhost_net") ? 1 : 0);
    // The distribution default behind incident 2: VHOST_NET_ENABLED=0 in /etc/default/qemu-kvm.
    int err = 0;
    if (root_.read_into("etc/default/qemu-kvm", buf_, &err, 1 << 16) == ReadStatus::kOk) {
      for_each_line(buf_, [&](std::string_view line) {
        const std::string_view key = "VHOST_NET_ENABLED=";
        if (line.rfind(key, 0) != 0) return;
        auto v = line.substr(key.size());
        if (!v.empty() && (v.front() == '"' || v.front() == '\'')) v = v.substr(1, 1);
        if (v.rfind('1', 0) == 0 || v.rfind('0', 0) == 0) {
          out.add(kDefaultVhost, v.front() == '1' ? 1 : 0);
        }
      });
    }
  }

  FsRoot proc_, sys_, root_;
  std::shared_ptr<ProcWalk> walk_;
  bool per_vcpu_;
  double ticks_;
  std::uint64_t generation_ = 0;
  std::uint64_t malformed_ = 0;
  std::unordered_map<ProcKey, Vm, ProcKeyHash> vms_;
  std::string buf_;
};

}  // namespace

CollectorInfo qemu_info() {
  return {
      "qemu",
      "qemu processes: thread CPU and run-queue wait by class (vcpu, vhost, iothread, main, "
      "other), and which tap netdevs vhost-net serves.",
      true,
      {OptionSpec::boolean(
          "per_vcpu", false,
          "Also export CPU and run-queue wait per vCPU thread (3 series a vCPU).")},
      [](const CollectorOptions& o, const Sources& s) -> std::unique_ptr<Collector> {
        return std::make_unique<QemuCollector>(o, s);
      },
      {},  // no capabilities needed
      {kVmInfo, kThreads, kCpu, kWait, kVcpuCpu, kVcpuWait, kNetdevInfo, kNetdevVhost, kVms,
       kMalformed, kVhostDevice, kVhostModule, kDefaultVhost},
      qemu_conditions(),
  };
}

}  // namespace virtnet::qemu
