#include "tests/support/test_collectors.h"

#include <chrono>
#include <stdexcept>
#include <thread>

namespace virtnet::testing {

namespace {

class Fail : public Collector {
 public:
  std::string_view name() const override { return "test_fail"; }
  CollectStatus collect(MetricSink& out) override {
    out.gauge("virtnet_test_fail_partial", "Emitted before failing.", 1);
    return CollectStatus::kError;
  }
};

class Throw : public Collector {
 public:
  std::string_view name() const override { return "test_throw"; }
  CollectStatus collect(MetricSink&) override { throw std::runtime_error("deliberate failure"); }
};

class Slow : public Collector {
 public:
  explicit Slow(std::int64_t ms) : ms_(ms) {}
  std::string_view name() const override { return "test_slow"; }
  CollectStatus collect(MetricSink& out) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms_));
    out.gauge("virtnet_test_slow_done", "Emitted after sleeping.", 1);
    return CollectStatus::kOk;
  }

 private:
  std::int64_t ms_;
};

}  // namespace

std::vector<CollectorInfo> misbehaving_collectors() {
  return {
      {"test_fail",
       "Always fails (test only).",
       false,
       {},
       [](const CollectorOptions&, const Sources&) -> std::unique_ptr<Collector> {
         return std::make_unique<Fail>();
       }},
      {"test_throw",
       "Always throws (test only).",
       false,
       {},
       [](const CollectorOptions&, const Sources&) -> std::unique_ptr<Collector> {
         return std::make_unique<Throw>();
       }},
      {"test_slow",
       "Sleeps (test only).",
       false,
       {OptionSpec::integer("sleep_ms", 5000, 0, 600000, "How long to sleep.")},
       [](const CollectorOptions& o, const Sources&) -> std::unique_ptr<Collector> {
         return std::make_unique<Slow>(o.get_int("sleep_ms"));
       }},
  };
}

}  // namespace virtnet::testing
