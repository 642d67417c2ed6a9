#include "collectors/qemu/qemu_collector.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "exporter/config.h"
#include "tests/unit/fixture.h"
#include "tests/unit/metric_lookup.h"

namespace virtnet::qemu {
namespace {

namespace fs = std::filesystem;
using P = testing::FixturePids;

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

  Sources src;
  src.proc = FsRoot(root.string());
  src.sys = FsRoot((root / "no-sys").string());
  src.root = FsRoot((root / "no-root").string());
  auto info = qemu_info();
  const auto cfg = build_config({info}, "", std::nullopt, {});
  auto c = info.make(cfg.collectors.at("qemu").options, src);
  MetricSink sink;
  ASSERT_EQ(c->collect(sink), CollectStatus::kOk);
  const auto f = sink.take();
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
  EXPECT_EQ(testing::value(f, "virtnet_qemu_vms"), 1);
  EXPECT_EQ(testing::value(f, "virtnet_qemu_default_vhost_net_enabled"), -1);  // no such file
  fs::remove_all(root);
}

}  // namespace
}  // namespace virtnet::qemu
