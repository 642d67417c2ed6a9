#include "tests/support/test_collectors.h"

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "exporter/scrape/background.h"

namespace virtnet::testing {

namespace {

constexpr auto kPartial = MetricDef::gauge("virtnet_test_fail_partial", "Emitted before failing.");
constexpr auto kSlowDone = MetricDef::gauge("virtnet_test_slow_done", "Emitted after sleeping.");
constexpr auto kValue =
    MetricDef::gauge("virtnet_test_background_value", "The last value written to the key.");

class Fail : public Collector {
 public:
  std::string_view name() const override { return "test_fail"; }
  CollectStatus collect(MetricSink& out) override {
    out.add(kPartial, 1);
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
    out.add(kSlowDone, 1);
    return CollectStatus::kOk;
  }

 private:
  std::int64_t ms_;
};

// The background helper at work: a thread updates pairs (a, b) that must always be equal, on
// more keys than the cap; collect() only snapshots. With stall_ms the body ignores its stop
// signal that long after each update, to exercise the stop bound.
class Background : public Collector {
 public:
  struct Pair {
    std::uint64_t a = 0, b = 0;
  };
  Background(std::size_t cap, std::int64_t period_ms, std::int64_t stall_ms)
      : state_(std::make_shared<BoundedState<int, Pair>>(cap)),
        cap_(cap),
        period_(period_ms),
        stall_(stall_ms) {}
  std::string_view name() const override { return "test_background"; }
  void start() override {
    thread_.start([state = state_, keys = static_cast<int>(2 * cap_ + 1), period = period_,
                   stall = stall_](const StopSignal& stop) {
      std::uint64_t i = 0;
      while (stop.sleep_for(period)) {
        ++i;
        state->update(static_cast<int>(i % static_cast<std::uint64_t>(keys)), [&](Pair& p) {
          p.a = i;
          p.b = i;
        });
        if (stall.count() > 0) std::this_thread::sleep_for(stall);
      }
    });
  }
  void stop() override { thread_.request_stop(); }
  bool join(std::chrono::steady_clock::time_point deadline) override {
    return thread_.join_until(deadline);
  }
  CollectStatus collect(MetricSink& out) override {
    const auto snap = state_->snapshot();
    for (const auto& [key, p] : snap.entries) {
      if (p.a != p.b) return out.fail("torn snapshot");
      out.add(kValue, static_cast<double>(p.a), {{"key", std::to_string(key)}});
    }
    emit_background_health(out, "test_background", "entries", snap);
    return CollectStatus::kOk;
  }

 private:
  std::shared_ptr<BoundedState<int, Pair>> state_;
  std::size_t cap_;
  std::chrono::milliseconds period_, stall_;
  BackgroundThread thread_{"test_background"};
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
       },
       {},
       {kPartial},
       {}},
      {"test_throw",
       "Always throws (test only).",
       false,
       {},
       [](const CollectorOptions&, const Sources&) -> std::unique_ptr<Collector> {
         return std::make_unique<Throw>();
       },
       {},
       {kPartial},
       {}},
      {"test_slow",
       "Sleeps (test only).",
       false,
       {OptionSpec::integer("sleep_ms", 5000, 0, 600000, "How long to sleep.")},
       [](const CollectorOptions& o, const Sources&) -> std::unique_ptr<Collector> {
         return std::make_unique<Slow>(o.get_int("sleep_ms"));
       },
       {},
       {kSlowDone},
       {}},
      {"test_background",
       "A background worker over bounded state (test only).",
       false,
       {OptionSpec::integer("cap", 4, 0, 1000, "Most entries kept."),
        OptionSpec::integer("period_ms", 5, 1, 10000, "Time between updates."),
        OptionSpec::integer("stall_ms", 0, 0, 60000, "Ignore the stop signal this long.")},
       [](const CollectorOptions& o, const Sources&) -> std::unique_ptr<Collector> {
         return std::make_unique<Background>(static_cast<std::size_t>(o.get_int("cap")),
                                             o.get_int("period_ms"), o.get_int("stall_ms"));
       },
       {},
       {kValue},
       {}},
  };
}

}  // namespace virtnet::testing
