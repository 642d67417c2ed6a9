#include "exporter/scrape/metric_sink.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <sstream>
#include <stdexcept>

#include "exporter/common/utf8.h"
#include "tests/support/exposition_check.h"

namespace virtnet {
namespace {

TEST(MetricSink, OneFamilyPerNameInFirstSeenOrder) {
  MetricSink s;
  s.gauge("b", "B", 1, {{"x", "1"}});
  s.counter("a_total", "A", 2);
  s.gauge("b", "B", 3, {{"x", "2"}});
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
  s.gauge("m", "", 1);
  EXPECT_THROW(s.counter("m", "", 1), std::logic_error);
}

// Hostile names seen in the field: a prctl(PR_SET_NAME) with a lone 0xff, a comm cut mid-character
// by the kernel's 15 bytes, a domain of 131 KB, quotes, backslashes and newlines.
TEST(MetricSink, HostileLabelValuesBecomeAValidScrape) {
  const std::vector<std::string> names = {
      "x\xff",      "qemu-syst\xC3",           std::string(131072, 'v'),
      "a\"b\\c\nd", std::string("nul\0in", 6), "\xF0\x9F\x92\xA9 ok",
  };
  MetricSink s;
  for (const auto& n : names) s.gauge("virtnet_test_top", "T.", 1, {{"comm", n}, {"pid", "1"}});
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
