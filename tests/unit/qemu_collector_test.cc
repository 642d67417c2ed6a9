#include "collectors/qemu/qemu_collector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "collectors/qemu/qemu_parse.h"
#include "exporter/common/label_value.h"
#include "exporter/config/config.h"
#include "tests/unit/fixture.h"
#include "tests/unit/metric_lookup.h"

namespace virtnet::qemu {
namespace {

namespace fs = std::filesystem;
using P = testing::FixturePids;

// The collector over a /proc tree at `root`, with no /sys or /etc to find.
std::unique_ptr<Collector> make_collector(const fs::path& root) {
  Sources src;
  src.proc = FsRoot(root.string());
  src.sys = FsRoot((root / "no-sys").string());
  src.root = FsRoot((root / "no-root").string());
  auto info = qemu_info();
  const auto cfg = build_config({info}, "", std::nullopt, {});
  return info.make(cfg.collectors.at("qemu").options, src);
}

// The captured qemu stand-in, plus a kernel thread named vhost-<its pid> as kernels before 6.4
// run vhost workers (made from kthreadd's captured stat), with a schedstat of 1.5 s waited.
TEST(QemuCollector, KernelVhostThreadsCountForTheirVm) {
  const fs::path root = fs::temp_directory_path() / ("virtnet-qemu-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "99999");
  // The captured tree, linked entry by entry (its fd links cannot be copied), and one more pid.
  for (const auto& e : fs::directory_iterator(testing::proc_root_with_pids())) {
    fs::create_symlink(e.path(), root / e.path().filename());
  }
  std::string stat = testing::pid_file(2, "stat");
  stat.replace(0, stat.find(')') + 1, "99999 (vhost-" + std::to_string(P::kQemu) + ")");
  std::ofstream(root / "99999" / "stat") << stat;
  std::ofstream(root / "99999" / "schedstat") << "7000000 1500000000 12\n";
  // A second qemu, with the same -name and a -netdev that cannot be read.
  fs::create_directories(root / "99998" / "task");
  std::string qstat = testing::pid_file(P::kQemu, "stat");
  qstat.replace(0, qstat.find(' '), "99998");
  std::ofstream(root / "99998" / "stat") << qstat;
  std::string cmd;
  for (const char* a : {"qemu-system-x86_64", "-name", "guest=instance-0000002a", "-netdev"}) {
    cmd += a;
    cmd += '\0';
  }
  std::ofstream(root / "99998" / "cmdline") << cmd + "{\"type\":";

  auto c = make_collector(root);
  MetricSink first;
  ASSERT_EQ(c->collect(first), CollectStatus::kOk);
  MetricSink sink;  // a second scrape: the broken command line is not counted again
  ASSERT_EQ(c->collect(sink), CollectStatus::kOk);
  const auto f = sink.take();
  EXPECT_EQ(testing::value(f, "virtnet_qemu_cmdline_malformed_total"), 1);
  EXPECT_EQ(testing::value(f, "virtnet_qemu_vm_info",
                           {{"domain", "instance-0000002a (pid 99998)"}, {"pid", "99998"}}),
            1);  // the same name twice: each qemu's series stay unique
  const std::map<std::string, std::string> vhost = {{"domain", "instance-0000002a"},
                                                    {"class", "vhost"}};
  EXPECT_EQ(testing::value(f, "virtnet_qemu_threads", vhost), 2);  // its thread and the kthread
  EXPECT_EQ(testing::value(f, "virtnet_qemu_run_queue_wait_seconds_total", vhost), 1.5);
  EXPECT_EQ(testing::value(f, "virtnet_qemu_threads",
                           {{"domain", "instance-0000002a"}, {"class", "vcpu"}}),
            4);
  EXPECT_EQ(testing::value(f, "virtnet_qemu_netdev_vhost",
                           {{"domain", "instance-0000002a"}, {"netdev", "hostnet0"}}),
            1);
  EXPECT_EQ(testing::value(f, "virtnet_qemu_vms"), 2);
  EXPECT_EQ(testing::value(f, "virtnet_qemu_default_vhost_net_enabled"), -1);  // no such file
  fs::remove_all(root);
}

// A thread's stat is read again only when its schedstat shows it ran (or after kRefreshScrapes):
// while it is as it was, CPU time does not move even if stat were to say otherwise.
TEST(QemuCollector, ThreadStatIsReadOnlyAfterTheThreadRan) {
  const fs::path root =
      fs::temp_directory_path() / ("virtnet-qemu-ran-" + std::to_string(getpid()));
  fs::remove_all(root);
  const fs::path thread = root / "99997" / "task" / "99998";
  fs::create_directories(thread);
  std::string qstat = testing::pid_file(P::kQemu, "stat");
  qstat.replace(0, qstat.find(' '), "99997");
  std::ofstream(root / "99997" / "stat") << qstat;
  std::string cmd = "qemu-system-x86_64";
  cmd += '\0';
  std::ofstream(root / "99997" / "cmdline") << cmd;
  auto thread_stat = [&](int utime) {
    std::ofstream(thread / "stat") << "99998 (CPU 0/KVM) S 1 1 1 0 -1 4194560 0 0 0 0 " << utime
                                   << " 0 0 0 20 0 1 0 100 1000 10 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
  };
  const std::map<std::string, std::string> user = {{"class", "vcpu"}, {"mode", "user"}};
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  auto c = make_collector(root);
  auto cpu = [&] {
    MetricSink sink;
    EXPECT_EQ(c->collect(sink), CollectStatus::kOk);
    return testing::value(sink.take(), "virtnet_qemu_cpu_seconds_total", user);
  };
  thread_stat(100);
  std::ofstream(thread / "schedstat") << "5000 0 3\n";
  EXPECT_EQ(cpu(), 100 / tick);
  thread_stat(300);  // the schedstat is as it was: not read
  EXPECT_EQ(cpu(), 100 / tick);
  std::ofstream(thread / "schedstat") << "9000 0 4\n";  // it ran
  EXPECT_EQ(cpu(), 300 / tick);
  fs::remove_all(root);
}

// Two qemu whose -name is the same and longer than a label may be: the second one's " (pid N)"
// survives the cut, so their series stay apart (appending it after the cut lost it).
TEST(QemuCollector, TwoLongIdenticalNamesGiveDistinctSeries) {
  const fs::path root =
      fs::temp_directory_path() / ("virtnet-qemu-long-" + std::to_string(getpid()));
  fs::remove_all(root);
  const std::string name(300, 'n');
  for (const char* pid : {"99997", "99998"}) {
    fs::create_directories(root / pid / "task");
    std::string qstat = testing::pid_file(P::kQemu, "stat");
    qstat.replace(0, qstat.find(' '), pid);
    std::ofstream(root / pid / "stat") << qstat;
    std::string cmd = "qemu-system-x86_64";
    cmd += '\0';
    cmd += "-name";
    cmd += '\0';
    cmd += "guest=" + name + ",debug-threads=on";
    cmd += '\0';
    std::ofstream(root / pid / "cmdline") << cmd;
  }
  auto c = make_collector(root);
  MetricSink sink;
  ASSERT_EQ(c->collect(sink), CollectStatus::kOk);
  const auto f = sink.take();
  std::set<std::string> domains;
  for (const auto& fam : f) {
    if (fam.name != "virtnet_qemu_vm_info") continue;
    for (const auto& m : fam.metric) {
      for (const auto& l : m.label) {
        if (l.name != "domain") continue;
        EXPECT_LE(l.value.size(), kMaxLabelValueBytes);
        domains.insert(l.value);
      }
    }
  }
  // Both cut to the bound; the second's " (pid N)" is in what its hash covers.
  ASSERT_EQ(domains.size(), 2u);
  for (const auto& d : domains) EXPECT_NE(d.find(kCutMarker), std::string::npos) << d;
  // Every per-domain family has one series set per qemu: no duplicates.
  const auto sets = testing::label_sets(f, "virtnet_qemu_threads");
  const std::set<std::map<std::string, std::string>> unique(sets.begin(), sets.end());
  EXPECT_EQ(unique.size(), sets.size());
  EXPECT_EQ(sets.size(), 10u);  // 5 classes x 2 qemu
  fs::remove_all(root);
}

TEST(QemuIdentity, OneTestForWhatAQemuIs) {
  for (const char* comm : {"qemu-system-x86", "qemu-system-aar", "qemu-kvm", "qemu-system-s39"}) {
    EXPECT_TRUE(is_qemu(comm)) << comm;
  }
  for (const char* comm : {"qemu-img", "qemu-nbd", "qemu-ga", "kvm", "systemd"}) {
    EXPECT_FALSE(is_qemu(comm)) << comm;
  }
  EXPECT_EQ(domain_label("", 42, false), "pid-42");
  EXPECT_EQ(domain_label("vm1", 42, false), "vm1");
  EXPECT_EQ(domain_label("vm1", 42, true), "vm1 (pid 42)");
}

}  // namespace
}  // namespace virtnet::qemu
