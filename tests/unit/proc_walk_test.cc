#include "exporter/sources/proc_walk.h"

#include <gtest/gtest.h>

#include <thread>

#include "collectors/process/process_collector.h"
#include "exporter/config/config.h"
#include "exporter/scrape/scraper.h"
#include "tests/unit/fixture.h"
#include "tests/unit/metric_lookup.h"

namespace virtnet {
namespace {

using namespace std::chrono_literals;
using P = testing::FixturePids;

TEST(ProcWalk, CallersWithinTheWindowShareOneWalk) {
  ProcWalk walk(FsRoot(testing::proc_root_with_pids()), 500ms);
  std::shared_ptr<const ProcTable> a, b;
  std::thread t1([&] { a = walk.get(); });
  std::thread t2([&] { b = walk.get(); });
  t1.join();
  t2.join();
  EXPECT_EQ(walk.walks(), 1u);
  EXPECT_EQ(a.get(), b.get());
  bool qemu = false, kthread = false;
  for (const auto& p : a->procs) {
    qemu |= p.pid == P::kQemu && p.comm == "qemu-system-x86";
    kthread |= (p.flags & kPfKthread) != 0;
  }
  EXPECT_TRUE(qemu);
  EXPECT_TRUE(kthread);  // kernel threads are in the table; each collector skips what it must
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(walk.get()->seq, 2u);  // a later scrape walks again
  ProcWalk none(FsRoot("/nonexistent-proc"));
  EXPECT_NE(none.get()->error.find("cannot list /nonexistent-proc"), std::string::npos);
}

// A process's threads are listed (and their schedstat read) once a walk, whoever asks; a later
// walk lists them again, and a gone process says so.
TEST(ProcWalk, ThreadsAreListedOnceAWalk) {
  ProcWalk walk(FsRoot(testing::proc_root_with_pids()), 0ms);
  const auto table = walk.get();
  const ProcStat* qemu = nullptr;
  for (const auto& p : table->procs) {
    if (p.pid == P::kQemu) qemu = &p;
  }
  ASSERT_NE(qemu, nullptr);
  const auto a = walk.threads(*table, *qemu);
  EXPECT_EQ(a->status, ReadStatus::kOk);
  EXPECT_EQ(a->threads.size(), 9u);
  EXPECT_FALSE(a->threads.front().sched);                 // the captured tree has no schedstat
  EXPECT_EQ(walk.threads(*table, *qemu).get(), a.get());  // the same reading
  const auto later = walk.get();
  EXPECT_NE(walk.threads(*later, *qemu).get(), a.get());
  EXPECT_NE(walk.threads(*table, *qemu).get(), a.get());  // an older walk's: read, not kept
  ProcStat gone = *qemu;
  gone.pid = 999999;
  EXPECT_EQ(walk.threads(*later, gone)->status, ReadStatus::kAbsent);
}

// Through the real scraper: two collectors that need the processes, one scrape, one walk.
TEST(ProcWalk, OneWalkPerScrapeForEveryCollectorThatNeedsIt) {
  Sources src;
  src.proc = FsRoot(testing::proc_root_with_pids());
  src.proc_walk = std::make_shared<ProcWalk>(src.proc);
  auto info = process::process_info();
  const auto cfg = build_config({info}, "", std::nullopt, {});
  Scraper s(5s);
  std::vector<CollectorSlot> v;
  v.push_back({"process", info.make(cfg.collectors.at("process").options, src)});
  v.push_back({"process_again", info.make(cfg.collectors.at("process").options, src)});
  s.set_collectors(std::move(v), {});
  auto f = s.scrape(std::nullopt);
  EXPECT_EQ(src.proc_walk->walks(), 1u);
  // Both instances call themselves "process": two success samples, both 1.
  ASSERT_EQ(testing::samples(f, "virtnet_scrape_collector_success"), 2u);
  for (const auto& fam : f) {
    if (fam.name != "virtnet_scrape_collector_success") continue;
    for (const auto& m : fam.metric) EXPECT_EQ(m.gauge.value, 1);
  }
  // Each saw every process of the one walk (one family: the scraper merges a shared name).
  std::vector<double> scanned;
  for (const auto& fam : f) {
    if (fam.name != "virtnet_process_scanned") continue;
    for (const auto& m : fam.metric) scanned.push_back(m.gauge.value);
  }
  ASSERT_EQ(scanned.size(), 2u);
  EXPECT_EQ(scanned[0], scanned[1]);
  EXPECT_GT(scanned[0], 5);
}

}  // namespace
}  // namespace virtnet
