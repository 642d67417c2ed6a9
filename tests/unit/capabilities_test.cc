#include "exporter/scrape/capabilities.h"

#include <cap-ng.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <unistd.h>

#include <thread>

#include "exporter/scrape/collector.h"

namespace virtnet {
namespace {

class Reports : public Collector {
 public:
  std::string_view name() const override { return "reports"; }
  CollectStatus collect(MetricSink& out) override {
    out.add(MetricDef::gauge("virtnet_reports_value", "A value."), 1);
    return out.fail("EPERM from inside");
  }
};

TEST(Capabilities, Names) {
  EXPECT_EQ(capability_name(CAP_SYS_PTRACE), "CAP_SYS_PTRACE");
  EXPECT_EQ(capability_name(CAP_NET_RAW), "CAP_NET_RAW");
}

TEST(Capabilities, AMissingOneIsTheReasonAndTheDataStays) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, to hold the capability and drop it";
  std::vector<CapabilityNeed> needs{{CAP_SYS_PTRACE, "to read maps"}};
  EXPECT_EQ(missing_capabilities(needs), "");
  auto gated = gate_on_capabilities(std::make_unique<Reports>(), needs);
  std::string reason;
  bool data = false;
  // Capabilities are per thread: drop it from a thread of the test's own.
  std::thread t([&] {
    capng_get_caps_process();
    capng_update(CAPNG_DROP, CAPNG_EFFECTIVE, CAP_SYS_PTRACE);
    capng_apply(CAPNG_SELECT_CAPS);
    MetricSink out;
    EXPECT_EQ(gated->collect(out), CollectStatus::kError);
    reason = out.error();
    data = !out.take().empty();
  });
  t.join();
  // The missing capability first, then what it caused inside the collector.
  EXPECT_EQ(reason, "missing CAP_SYS_PTRACE (to read maps); EPERM from inside");
  EXPECT_TRUE(data);
  EXPECT_EQ(gate_on_capabilities(std::make_unique<Reports>(), {})->name(), "reports");
}

}  // namespace
}  // namespace virtnet
