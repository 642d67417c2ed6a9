#include "exporter/findings/findings.h"

#include <gtest/gtest.h>

#include "exporter/scrape/metric_sink.h"

namespace virtnet {
namespace {

std::vector<prometheus::MetricFamily> families(double wait_vcpu, double wait_main) {
  MetricSink m;
  m.add(MetricDef::gauge("virtnet_link_mtu_headroom_bytes", ""), -100,
        {{"netns", ""}, {"link", "vx0"}});
  m.add(MetricDef::gauge("virtnet_link_mtu_headroom_bytes", ""), -7500,
        {{"netns", ""}, {"link", "tapj"}});
  m.add(MetricDef::gauge("virtnet_link_mtu_headroom_bytes", ""), 0,
        {{"netns", ""}, {"link", "eth0"}});
  m.add(MetricDef::gauge("virtnet_qemu_netdev_vhost", ""), 0,
        {{"domain", "vm1"}, {"netdev", "net0"}});
  m.add(MetricDef::gauge("virtnet_qemu_netdev_vhost", ""), 1,
        {{"domain", "vm2"}, {"netdev", "net0"}});
  m.add(MetricDef::counter("virtnet_qemu_run_queue_wait_seconds_total", ""), wait_vcpu,
        {{"domain", "vm1"}, {"class", "vcpu"}});
  m.add(MetricDef::counter("virtnet_qemu_run_queue_wait_seconds_total", ""), wait_main,
        {{"domain", "vm1"}, {"class", "main"}});
  return m.take();
}

TEST(Findings, WorstFirstWithCulpritAndNextCheck) {
  const auto f = evaluate(families(0, 0), families(5, 50), 10);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0].def->alert, "VirtnetLinkMtuHeadroomNegative");
  EXPECT_EQ(f[0].labels.at("link"), "tapj");  // -7500 before -100
  EXPECT_EQ(f[1].labels.at("link"), "vx0");
  EXPECT_EQ(f[0].summary,
            "full-size frames of link tapj (netns \"\") are dropped on their way out: -7500 "
            "bytes of MTU headroom");
  EXPECT_NE(f[0].next_check.find("ip -d link show tapj;"), std::string::npos);
  EXPECT_EQ(f[2].def->alert, "VirtnetQemuNetdevUserspace");
  EXPECT_EQ(f[2].labels.at("domain"), "vm1");
  // 5 s of vCPU wait over 10 s: 0.5 s/s, over 0.25; the main thread's 5 s/s is not a vCPU.
  EXPECT_EQ(f[3].def->alert, "VirtnetQemuVcpuRunQueueWait");
  EXPECT_DOUBLE_EQ(f[3].value, 0.5);
  EXPECT_EQ(f[3].labels.at("class"), "vcpu");
}

TEST(Findings, RatesNeedTwoCollectionsAndAWindow) {
  auto rates = [](const std::vector<Finding>& f) {
    return std::count_if(f.begin(), f.end(), [](const Finding& x) {
      return x.def->alert == "VirtnetQemuVcpuRunQueueWait";
    });
  };
  EXPECT_EQ(rates(evaluate(families(0, 0), families(1, 0), 10)), 0);  // 0.1 s/s
  EXPECT_EQ(rates(evaluate(families(0, 0), families(50, 0), 0)), 0);  // no window
  EXPECT_EQ(rates(evaluate(families(9, 0), families(1, 0), 10)), 0);  // a counter reset
  EXPECT_EQ(rates(evaluate({}, families(50, 0), 10)), 0);             // not seen before
}

TEST(Findings, RulesComeFromTheSameDefinitions) {
  const auto y = rules_yaml();
  for (const auto& d : definitions()) {
    EXPECT_NE(y.find("- alert: " + d.alert + "\n"), std::string::npos) << d.alert;
  }
  EXPECT_NE(y.find("expr: \"virtnet_link_mtu_headroom_bytes < 0\""), std::string::npos);
  EXPECT_NE(y.find("expr: \"rate(virtnet_qemu_run_queue_wait_seconds_total{class=\\\"vcpu\\\"}"
                   "[5m]) > 0.25\""),
            std::string::npos)
      << y;
  EXPECT_NE(y.find("{{ $labels.link }}"), std::string::npos);
}

}  // namespace
}  // namespace virtnet
