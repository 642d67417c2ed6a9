#include "collectors/process/process_collector.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "collectors/process/process_config.h"
#include "collectors/qemu/qemu_parse.h"
#include "exporter/config/config.h"
#include "tests/unit/fixture.h"
#include "tests/unit/metric_lookup.h"

namespace virtnet::process {
namespace {

namespace fs = std::filesystem;
using testing::Fams;
using testing::samples;
using testing::value;
using P = testing::FixturePids;

std::unique_ptr<Collector> make(const std::string& root, const std::string& yaml = "") {
  Sources src;
  src.proc = FsRoot(root);
  auto info = process_info();
  auto cfg = build_config({info}, "c.yml", yaml.empty() ? std::nullopt : std::optional(yaml), {});
  return info.make(cfg.collectors.at("process").options, src);
}

Fams scrape(Collector& c) {
  MetricSink sink;
  EXPECT_EQ(c.collect(sink), CollectStatus::kOk);
  return sink.take();
}

// A writable copy of the fixture tree, for the tests that change it.
struct Tree {
  fs::path root;
  Tree() {
    root = fs::temp_directory_path() /
           ("virtnet-proc-tree-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(root);
    for (const auto& e : fs::directory_iterator(testing::proc_root_with_pids())) {
      const auto dest = root / e.path().filename();
      // The 10,000-fd process is never changed here; linking it saves copying 10,000 symlinks.
      if (e.path().filename() == std::to_string(P::kHaproxy)) {
        fs::create_directory_symlink(e.path(), dest);
      } else {
        fs::copy(e.path(), dest, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
      }
    }
  }
  ~Tree() { fs::remove_all(root); }
  std::string pid(int p) const { return (root / std::to_string(p)).string(); }
  static inline int n = 0;
};

TEST(ProcessCollector, GroupsOfTheFixtureTree) {
  auto c = make(testing::proc_root_with_pids());
  auto f = scrape(*c);
  const std::string g = "virtnet_process_group_";
  EXPECT_EQ(value(f, g + "processes", {{"group", "qemu"}}), 1);
  EXPECT_EQ(value(f, g + "processes", {{"group", "keepalived"}}), 1);
  EXPECT_EQ(value(f, g + "processes", {{"group", "haproxy"}}), 1);
  EXPECT_EQ(value(f, g + "processes", {{"group", "ovs-vswitchd"}}), 1);
  EXPECT_EQ(value(f, g + "processes", {{"group", "nova"}}), 1);  // the zombie
  EXPECT_EQ(value(f, g + "processes", {{"group", "libvirtd"}}), 0);
  // A group that never had a process says only that.
  EXPECT_EQ(value(f, g + "cpu_seconds_total", {{"group", "libvirtd"}}), -1);

  EXPECT_EQ(value(f, g + "open_fds", {{"group", "haproxy"}}), 10006);
  EXPECT_EQ(value(f, g + "open_fds_by_kind", {{"group", "haproxy"}, {"kind", "socket"}}), 2500);
  EXPECT_EQ(value(f, g + "open_fds_by_kind", {{"group", "haproxy"}, {"kind", "pipe"}}), 5004);
  EXPECT_EQ(value(f, g + "max_fd_usage_ratio", {{"group", "haproxy"}}), 10006.0 / 20000);
  EXPECT_GE(value(f, g + "mappings", {{"group", "ovs-vswitchd"}}), 5000);
  EXPECT_EQ(value(f, g + "threads", {{"group", "qemu"}}), 9);
  EXPECT_EQ(value(f, g + "context_switches_total", {{"group", "qemu"}, {"type", "voluntary"}}),
            11);  // the sum over its 9 threads, not the main thread's 3
  EXPECT_EQ(value(f, g + "resident_bytes", {{"group", "qemu"}}), 2884.0 * 1024);
  EXPECT_EQ(value(f, g + "open_fds", {{"group", "nova"}}), 0);
  EXPECT_EQ(value(f, "virtnet_process_read_errors_total", {{"reason", "permission"}}), 0);
  EXPECT_EQ(value(f, "virtnet_process_read_errors_total", {{"reason", "other"}}), 0);
  EXPECT_EQ(value(f, "virtnet_process_scanned"), 7);
}

TEST(ProcessCollector, PerProcessSeriesAndQemuDomain) {
  auto c = make(testing::proc_root_with_pids());
  auto f = scrape(*c);
  const std::string qemu = std::to_string(P::kQemu), ka = std::to_string(P::kKeepalived);
  EXPECT_EQ(value(f, "virtnet_process_threads",
                  {{"group", "qemu"},
                   {"pid", qemu},
                   {"comm", "qemu-system-x86"},
                   {"domain", "instance-0000002a"}}),
            9);
  EXPECT_EQ(value(f, "virtnet_process_open_fds", {{"pid", ka}, {"comm", "keepalived"}}), 46);
  EXPECT_EQ(value(f, "virtnet_process_open_fds_by_kind", {{"pid", ka}, {"kind", "socket"}}), 10);
  EXPECT_EQ(value(f, "virtnet_process_open_fds_by_kind", {{"pid", ka}, {"kind", "other"}}), 11);
  EXPECT_EQ(value(f, "virtnet_process_max_fds", {{"pid", ka}}), 20000);
  EXPECT_GT(value(f, "virtnet_process_start_time_seconds", {{"pid", ka}}), 1.7e9);
  // haproxy is grouped but not per process by default.
  EXPECT_EQ(value(f, "virtnet_process_open_fds", {{"pid", std::to_string(P::kHaproxy)}}), -1);
}

TEST(ProcessCollector, TopProcessesWhateverTheirGroup) {
  auto c = make(testing::proc_root_with_pids(), "collectors:\n  process: {top_n: 2}\n");
  auto f = scrape(*c);
  EXPECT_EQ(samples(f, "virtnet_process_top_open_fds"), 2u);
  EXPECT_EQ(value(f, "virtnet_process_top_open_fds",
                  {{"pid", std::to_string(P::kHaproxy)}, {"group", "haproxy"}}),
            10006);
  const auto qemu_fds = std::distance(fs::directory_iterator(testing::proc_root_with_pids() + "/" +
                                                             std::to_string(P::kQemu) + "/fd"),
                                      fs::directory_iterator());
  EXPECT_EQ(value(f, "virtnet_process_top_open_fds",
                  {{"pid", std::to_string(P::kQemu)}, {"group", "qemu"}}),
            static_cast<double>(qemu_fds));
  EXPECT_EQ(value(f, "virtnet_process_top_open_fds", {{"pid", std::to_string(P::kKeepalived)}}),
            -1);  // third
  // The hostile comm is in no group; it is still listed by mapped memory when it ranks.
  auto all = make(testing::proc_root_with_pids(), "collectors:\n  process: {top_n: 100}\n");
  auto f2 = scrape(*all);
  EXPECT_GT(value(f2, "virtnet_process_top_mapped_bytes", {{"comm", "a) b (c"}, {"group", "none"}}),
            0);
  // Kernel threads and zombies map nothing and are left out.
  EXPECT_EQ(value(f2, "virtnet_process_top_mapped_bytes", {{"comm", "kthreadd"}}), -1);
}

TEST(ProcessCollector, ProcessGoneMidReadIsSkippedWithoutError) {
  Tree t;
  fs::remove(t.pid(P::kQemu) + "/status");  // stat was read, then the process exited
  fs::remove_all(t.pid(P::kKeepalived) + "/fd");
  auto c = make(t.root.string());
  auto f = scrape(*c);
  EXPECT_EQ(value(f, "virtnet_process_group_processes", {{"group", "qemu"}}), 0);
  EXPECT_EQ(value(f, "virtnet_process_group_processes", {{"group", "keepalived"}}), 0);
  EXPECT_EQ(value(f, "virtnet_process_read_errors_total", {{"reason", "other"}}), 0);
  EXPECT_EQ(value(f, "virtnet_process_group_processes", {{"group", "haproxy"}}), 1);
}

TEST(ProcessCollector, MalformedFileIsCountedAndTheRestServed) {
  Tree t;
  std::ofstream(t.pid(P::kOvs) + "/maps") << "garbage\n";
  auto c = make(t.root.string());
  ::testing::internal::CaptureStderr();
  Fams f;
  for (int i = 0; i < 3; ++i) f = scrape(*c);
  const std::string log = ::testing::internal::GetCapturedStderr();
  // Counted at each scrape, logged once for the process.
  EXPECT_EQ(value(f, "virtnet_process_read_errors_total", {{"reason", "other"}}), 3);
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = log.find("cannot parse process file", at)) != std::string::npos;
       ++at) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << log;
  EXPECT_EQ(value(f, "virtnet_process_group_processes", {{"group", "ovs-vswitchd"}}), 0);
  EXPECT_EQ(value(f, "virtnet_process_group_processes", {{"group", "haproxy"}}), 1);
}

std::string with_field(const std::string& stat, int field, const std::string& v) {
  // Rewrites a field (proc(5) numbering, >= 3) of a stat line.
  auto close = stat.rfind(')');
  std::string head = stat.substr(0, close + 1), rest = stat.substr(close + 2);
  std::vector<std::string> f;
  std::stringstream ss(rest);
  for (std::string x; ss >> x;) f.push_back(x);
  f[static_cast<std::size_t>(field - 3)] = v;
  std::string out = head;
  for (const auto& x : f) out += " " + x;
  return out + "\n";
}

TEST(ProcessCollector, GroupCountersNeverGoBackAcrossPidReuse) {
  Tree t;
  const std::string stat_path = t.pid(P::kKeepalived) + "/stat";
  const std::string original = testing::pid_file(P::kKeepalived, "stat");
  std::ofstream(stat_path) << with_field(with_field(original, 14, "500"), 22, "1000");
  auto c = make(t.root.string());
  auto f1 = scrape(*c);
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const std::map<std::string, std::string> user = {{"group", "keepalived"}, {"mode", "user"}};
  EXPECT_EQ(value(f1, "virtnet_process_group_cpu_seconds_total", user), 500 / ticks);
  // Same pid, later start time, less CPU: another process. The group counter adds its time.
  std::ofstream(stat_path) << with_field(with_field(original, 14, "30"), 22, "2000");
  auto f2 = scrape(*c);
  EXPECT_EQ(value(f2, "virtnet_process_group_cpu_seconds_total", user), 530 / ticks);
  // The same process again, 20 ticks later: only the increase is added.
  std::ofstream(stat_path) << with_field(with_field(original, 14, "50"), 22, "2000");
  auto f3 = scrape(*c);
  EXPECT_EQ(value(f3, "virtnet_process_group_cpu_seconds_total", user), 550 / ticks);
  // It exits: the counter stays.
  fs::remove_all(t.pid(P::kKeepalived));
  auto f4 = scrape(*c);
  EXPECT_EQ(value(f4, "virtnet_process_group_cpu_seconds_total", user), 550 / ticks);
  EXPECT_EQ(value(f4, "virtnet_process_group_processes", {{"group", "keepalived"}}), 0);
}

TEST(ProcessCollector, CustomGroupsOnCmdlineCommPrefixAndSmaps) {
  auto c = make(testing::proc_root_with_pids(),
                "collectors:\n  process:\n    groups:\n"
                "      - {name: vms, cmdline: 'guest=instance-[0-9a-f]+', per_process: true}\n"
                "      - {name: helpers, comm: ['ovs-*', 'hap*'], smaps: true}\n");
  auto f = scrape(*c);
  EXPECT_EQ(value(f, "virtnet_process_group_processes", {{"group", "vms"}}), 1);
  EXPECT_EQ(value(f, "virtnet_process_group_processes", {{"group", "helpers"}}), 2);
  EXPECT_EQ(value(f, "virtnet_process_group_processes", {{"group", "qemu"}}), -1);  // replaced
  EXPECT_GT(value(f, "virtnet_process_group_pss_bytes", {{"group", "helpers"}}), 0);
  EXPECT_EQ(value(f, "virtnet_process_group_pss_bytes", {{"group", "vms"}}), -1);  // not asked
  // smaps_rollup is not read for processes above the RSS bound.
  auto small = make(testing::proc_root_with_pids(),
                    "collectors:\n  process:\n    groups:\n"
                    "      - {name: helpers, comm: ['ovs-*'], smaps: true, "
                    "smaps_max_rss_bytes: 4096}\n");
  EXPECT_EQ(value(scrape(*small), "virtnet_process_group_pss_bytes", {{"group", "helpers"}}), -1);
}

TEST(ProcessCollector, ExeMatchingReadsTheLinkOnlyWhenCommDoesNotDecide) {
  Tree t;
  fs::create_symlink("/usr/sbin/octavia-agent", t.pid(P::kWeird) + "/exe");
  auto c = make(t.root.string(),
                "collectors:\n  process:\n    groups:\n"
                "      - {name: ka, comm: [keepalived]}\n"
                "      - {name: agent, exe: [octavia-agent]}\n");
  auto f = scrape(*c);
  EXPECT_EQ(value(f, "virtnet_process_group_processes", {{"group", "agent"}}), 1);
  EXPECT_EQ(value(f, "virtnet_process_group_processes", {{"group", "ka"}}), 1);
  // The other processes have no exe link in the fixture: absent, not an error.
  EXPECT_EQ(value(f, "virtnet_process_read_errors_total", {{"reason", "other"}}), 0);
}

TEST(ProcessCollector, GroupAndDomainAreReadOncePerProcessAndRematchedAfterExec) {
  Tree t;
  auto c = make(t.root.string());
  auto f1 = scrape(*c);
  const std::string qemu = std::to_string(P::kQemu);
  // The cmdline is not read again: the domain of a process does not change.
  fs::remove(t.pid(P::kQemu) + "/cmdline");
  auto f2 = scrape(*c);
  EXPECT_EQ(value(f2, "virtnet_process_threads", {{"pid", qemu}, {"domain", "instance-0000002a"}}),
            9);
  // An exec keeps pid and start time but changes the comm: the process is matched again.
  const std::string stat = testing::pid_file(P::kKeepalived, "stat");
  std::string renamed = stat;
  renamed.replace(renamed.find("(keepalived)"), 12, "(haproxy)");
  std::ofstream(t.pid(P::kKeepalived) + "/stat") << renamed;
  auto f3 = scrape(*c);
  EXPECT_EQ(value(f3, "virtnet_process_group_processes", {{"group", "keepalived"}}), 0);
  EXPECT_EQ(value(f3, "virtnet_process_group_processes", {{"group", "haproxy"}}), 2);
}

std::string config_error(const std::string& yaml) {
  try {
    build_config({process_info()}, "c.yml", yaml, {});
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

// A thread's status is read again only when its schedstat shows it ran: while the schedstat is
// as it was, the counts read then are served (a changed status is not looked at), and the main
// thread's are the process's own status, not its task file.
TEST(ProcessCollector, ThreadStatusIsReadOnlyAfterTheThreadRan) {
  Tree t;
  const fs::path task = fs::path(t.pid(P::kQemu)) / "task";
  for (const auto& e : fs::directory_iterator(task)) {
    std::ofstream(e.path() / "schedstat") << "1000 0 1\n";
  }
  const std::string other = (task / "27917").string();
  const std::string status = testing::pid_file(P::kQemu, "task/27917/status");
  auto with_switches = [&](const std::string& n) {
    std::string s = status;
    const std::string key = "voluntary_ctxt_switches:\t";
    const auto at = s.find(key) + key.size();
    return s.replace(at, s.find('\n', at) - at, n);
  };
  // The main thread's task file says otherwise than the process's status: not read.
  std::ofstream(task / std::to_string(P::kQemu) / "status") << with_switches("1000000");
  const std::map<std::string, std::string> vol = {{"pid", std::to_string(P::kQemu)},
                                                  {"type", "voluntary"}};
  auto c = make(t.root.string());
  const double before = value(scrape(*c), "virtnet_process_context_switches_total", vol);
  EXPECT_GT(before, 0);
  EXPECT_LT(before, 1000);
  std::ofstream(other + "/status") << with_switches("500");  // not run: not looked at
  EXPECT_EQ(value(scrape(*c), "virtnet_process_context_switches_total", vol), before);
  std::ofstream(other + "/schedstat") << "2000 0 2\n";  // it ran: read again
  EXPECT_EQ(value(scrape(*c), "virtnet_process_context_switches_total", vol), before - 1 + 500);
  // Without a schedstat (a kernel without CONFIG_SCHED_INFO) the status is read every time.
  fs::remove(other + "/schedstat");
  std::ofstream(other + "/status") << with_switches("700");
  EXPECT_EQ(value(scrape(*c), "virtnet_process_context_switches_total", vol), before - 1 + 700);
}

TEST(ProcessConfig, GroupErrorsHavePositions) {
  const std::string pre = "collectors:\n  process:\n    groups:\n";
  EXPECT_EQ(config_error(pre + "      - {name: a, comm: [x], colour: red}\n"),
            "c.yml:4:30: unknown group key \"colour\" (known: name, comm, exe, cmdline, "
            "per_process, fd_kinds, smaps, smaps_max_rss_bytes)");
  EXPECT_EQ(config_error(pre + "      - {name: a, cmdline: 'qemu(('}\n"),
            "c.yml:4:28: invalid regular expression \"qemu((\": missing ): qemu((");
  EXPECT_EQ(config_error(pre + "      - {name: a}\n"),
            "c.yml:4:9: group a matches nothing: give comm, exe or cmdline");
  EXPECT_EQ(config_error(pre + "      - {name: a, comm: [x]}\n      - {name: a, comm: [y]}\n"),
            "c.yml:5:9: duplicate group name \"a\"");
  EXPECT_EQ(config_error(pre + "      - {name: a, comm: x}\n"),
            "c.yml:4:25: comm must be a list of names");
  EXPECT_EQ(config_error(pre + "      - {name: a, comm: [x], per_process: often}\n"),
            "c.yml:4:43: per_process must be a boolean");
  EXPECT_EQ(config_error(pre + "      {name: a}\n"), "c.yml:4:7: groups must be a list");
  EXPECT_EQ(config_error("collectors:\n  process: {top_n: 101}\n"),
            "c.yml:2:20: top_n must be between 0 and 100, got 101");
}

// The default qemu group and qemu::is_qemu call the same processes qemu: the qemu collector's
// VMs and the process collector's qemu group are the same set.
TEST(ProcessConfig, DefaultQemuGroupIsWhatIsQemuCalls) {
  const auto cfg = build_config({process_info()}, "", std::nullopt, {});
  const auto& groups =
      cfg.collectors.at("process").options.get_structured<std::vector<Group>>("groups");
  Matcher m(groups);
  auto none = [] { return std::string(); };
  for (const char* comm : {"qemu-system-x86", "qemu-system-aar", "qemu-system-ppc", "qemu-kvm",
                           "qemu-img", "qemu-nbd", "qemu-ga", "qemu", "kvm", "libvirtd"}) {
    const int g = m.match(comm, none, none);
    const bool in_qemu_group = g >= 0 && groups[static_cast<std::size_t>(g)].name == "qemu";
    EXPECT_EQ(in_qemu_group, qemu::is_qemu(comm)) << comm;
  }
}

// The groups are parsed once, when the configuration is: the collector reads that value. The
// YAML text decides equality (a reload keeps a collector whose groups did not change).
TEST(ProcessConfig, GroupsAreKeptParsed) {
  const std::string yaml = "collectors:\n  process:\n    groups:\n      - {name: a, comm: [x]}\n";
  const auto one = build_config({process_info()}, "c.yml", yaml, {});
  const auto two = build_config({process_info()}, "c.yml", yaml, {});
  const auto& groups =
      one.collectors.at("process").options.get_structured<std::vector<Group>>("groups");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].name, "a");
  EXPECT_EQ(groups[0].comm, std::vector<std::string>{"x"});
  EXPECT_EQ(one, two);
  const auto other =
      build_config({process_info()}, "c.yml",
                   "collectors:\n  process:\n    groups:\n      - {name: b, comm: [x]}\n", {});
  EXPECT_NE(one, other);
}

}  // namespace
}  // namespace virtnet::process
