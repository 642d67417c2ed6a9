#include "exporter/scrape/metric_sink.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <span>
#include <sstream>
#include <stdexcept>

#include "exporter/common/label_value.h"
#include "exporter/common/utf8.h"
#include "tests/support/exposition_check.h"

namespace virtnet {
namespace {

constexpr auto kB = MetricDef::gauge("b", "B");
constexpr auto kA = MetricDef::counter("a_total", "A");

TEST(MetricSink, OneFamilyPerNameInFirstSeenOrder) {
  MetricSink s;
  s.add(kB, 1, {{"x", "1"}});
  s.add(kA, 2);
  s.add(kB, 3, {{"x", "2"}});
  auto f = s.take();
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].name, "b");
  ASSERT_EQ(f[0].metric.size(), 2u);
  EXPECT_EQ(f[0].metric[1].gauge.value, 3);
  EXPECT_EQ(f[0].metric[1].label[0].value, "2");
  EXPECT_EQ(f[1].type, prometheus::MetricType::Counter);
  EXPECT_EQ(f[1].metric[0].counter.value, 2);
  EXPECT_TRUE(s.take().empty());  // fresh after take
}

TEST(MetricSink, TypeClashIsAnError) {
  MetricSink s;
  s.add(MetricDef::gauge("m", ""), 1);
  EXPECT_THROW(s.add(MetricDef::counter("m", ""), 1), std::logic_error);
}

// A collector serves only what it declares: an undeclared family is a programming error, which
// the worker turns into the collector's failure (so a test that scrapes it fails).
TEST(MetricSink, OnlyDeclaredFamiliesWithADeclaration) {
  const auto declared = names_of({kB});
  MetricSink s(&declared);
  s.add(kB, 1);
  s.add(kA, 1);  // left out, and the run's failure; the rest is served
  EXPECT_TRUE(s.refused_undeclared());
  EXPECT_EQ(s.error(), "metric a_total is not declared by the collector; left out");
  const auto f = s.take();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].name, "b");
  MetricSink open;  // no declaration: unchecked (the framework's own sinks, unit tests)
  open.add(kA, 1);
}

// One way to give reasons: each appended in order, a repeat said once, the total bounded with
// the rest counted, and a single huge reason cut.
TEST(MetricSink, FailureReasonsAppendBounded) {
  MetricSink s;
  EXPECT_EQ(s.error(), "");
  EXPECT_EQ(s.fail("namespace a: netlink error Permission denied"), CollectStatus::kError);
  s.fail("namespace b: gone wrong");
  s.fail("namespace a: netlink error Permission denied");  // the same reason again
  s.fail("namespace a");  // a prefix of an earlier one is another reason
  EXPECT_EQ(s.error(),
            "namespace a: netlink error Permission denied; namespace b: gone wrong; namespace a");
  MetricSink tail;  // a reason that is the end of an earlier one, at its start or not
  tail.fail("ab");
  tail.fail("b");
  tail.fail("a");
  EXPECT_EQ(tail.error(), "ab; b; a");
  for (int i = 0; i < 200; ++i) s.fail("reason number " + std::to_string(i));
  for (int i = 0; i < 200; ++i) s.fail("reason number " + std::to_string(i));  // repeats: once
  const auto e = s.error();
  EXPECT_LE(e.size(), MetricSink::kMaxErrorBytes);
  EXPECT_NE(e.find("reason number 0"), std::string::npos);
  // Every distinct reason is either said or counted, each once.
  const auto kept = static_cast<std::size_t>(std::count(e.begin(), e.end(), ';'));
  const auto more = std::stoul(e.substr(e.rfind("and ") + 4));
  EXPECT_EQ(kept + more, 203u) << e;  // the 3 reasons before and the 200
  EXPECT_EQ(e.find("reason number 199"), std::string::npos);
  MetricSink big;
  big.fail(std::string(5000, 'x'));
  EXPECT_LE(big.error().size(), MetricSink::kMaxErrorBytes);
  EXPECT_EQ(big.error().substr(0, 10), "xxxxxxxxxx");
}

// Hostile names seen in the field: a prctl(PR_SET_NAME) with a lone 0xff, a comm cut mid-character
// by the kernel's 15 bytes, a domain of 131 KB, quotes, backslashes and newlines.
TEST(MetricSink, HostileLabelValuesBecomeAValidScrape) {
  const std::vector<std::string> names = {
      "x\xff",      "qemu-syst\xC3",           std::string(131072, 'v'),
      "a\"b\\c\nd", std::string("nul\0in", 6), "\xF0\x9F\x92\xA9 ok",
  };
  MetricSink s;
  for (const auto& n : names) {
    s.add(MetricDef::gauge("virtnet_test_top", "T."), 1, {{"comm", n}, {"pid", "1"}});
  }
  std::ostringstream os;
  prometheus::TextSerializer().Serialize(os, s.take());
  std::string err;
  auto samples = testing::parse_exposition(os.str(), &err);
  ASSERT_EQ(err, "") << os.str().substr(0, 2000);
  ASSERT_EQ(samples.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto& v = samples[i].labels[0].second;
    EXPECT_EQ(v, sanitize_label_value(names[i]));
    EXPECT_LE(v.size(), kMaxLabelValueBytes);
  }
  EXPECT_EQ(samples[5].labels[0].second, "\xF0\x9F\x92\xA9 ok");  // valid text is kept as is
  EXPECT_LT(os.str().size(), 3000u);                              // not 131 KB
}

// Counts per bucket in, cumulative buckets out, ending at +Inf with the count of all.
TEST(MetricSink, AHistogramIsCumulativeToInf) {
  constexpr auto kGap = MetricDef::histogram("virtnet_test_gap_seconds", "G.");
  const std::array<double, 3> bounds = {1, 2, 4};
  const std::array<std::uint64_t, 4> counts = {5, 0, 2, 1};
  MetricSink s;
  s.add_histogram(kGap, bounds, counts, 20.5, {{"source", "a"}});
  std::ostringstream os;
  prometheus::TextSerializer().Serialize(os, s.take());
  const std::string text = os.str();
  std::string err;
  const auto samples = testing::parse_exposition(text, &err);
  ASSERT_EQ(err, "") << text;
  EXPECT_NE(text.find("# TYPE virtnet_test_gap_seconds histogram"), std::string::npos);
  EXPECT_NE(text.find("virtnet_test_gap_seconds_bucket{source=\"a\",le=\"2\"} 5"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("virtnet_test_gap_seconds_bucket{source=\"a\",le=\"4\"} 7"),
            std::string::npos);
  EXPECT_NE(text.find("virtnet_test_gap_seconds_bucket{source=\"a\",le=\"+Inf\"} 8"),
            std::string::npos);
  EXPECT_NE(text.find("virtnet_test_gap_seconds_count{source=\"a\"} 8"), std::string::npos);
  EXPECT_NE(text.find("virtnet_test_gap_seconds_sum{source=\"a\"} 20.5"), std::string::npos);
  EXPECT_THROW(s.add_histogram(kGap, bounds, std::span(counts).first(3), 0), std::logic_error);
}

TEST(ExpositionCheck, RejectsWhatPrometheusRejects) {
  for (const std::string bad :
       {"m{a=\"x\xff\"} 1\n", "m{a=\"1\",a=\"2\"} 1\n", "1m 1\n", "m{a=\"x} 1\n", "m x\n", "m 1"}) {
    std::string err;
    testing::parse_exposition(bad, &err);
    EXPECT_NE(err, "") << bad;
  }
  std::string err;
  auto ok =
      testing::parse_exposition("# HELP m H.\n# TYPE m gauge\nm{a=\"\\\"q\\n\"} +Inf\n", &err);
  EXPECT_EQ(err, "");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].labels[0].second, "\"q\n");
}

}  // namespace
}  // namespace virtnet
