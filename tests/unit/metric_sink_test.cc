#include "exporter/metric_sink.h"

#include <gtest/gtest.h>

#include <stdexcept>

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

}  // namespace
}  // namespace virtnet
