#include "exporter/http/exposition.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <limits>
#include <string>

#include "exporter/scrape/metric_sink.h"
#include "tests/unit/gunzip.h"

namespace virtnet {
namespace {

constexpr auto kA = MetricDef::gauge("virtnet_test_a", "A gauge.");
constexpr auto kB = MetricDef::counter("virtnet_test_b_total", "A counter.");

std::vector<prometheus::MetricFamily> families(int n) {
  MetricSink sink;
  for (int i = 0; i < n; ++i) {
    sink.add(kA, i * 0.5, {{"link", "tap" + std::to_string(i)}});
    sink.add(kB, i, {{"domain", "instance-" + std::to_string(i)}, {"mode", "user"}});
  }
  const double bounds[] = {0.1, 1};
  const std::uint64_t counts[] = {1, 2, 3};
  sink.add_histogram(MetricDef::histogram("virtnet_test_h_seconds", "A histogram."), bounds, counts,
                     4.5);
  return sink.take();
}

// Plain or gzip'd as it goes, the text is byte for byte what prometheus-cpp writes for the same
// families; past the piece size too (20,000 samples, about 1 MB).
TEST(Exposition, SameBytesAsTheSerializerWritesAtOnce) {
  for (int n : {0, 3, 10000}) {
    const std::string expected = prometheus::TextSerializer().Serialize(families(n));
    bool gzipped = true;
    auto plain = families(n);
    EXPECT_EQ(write_exposition(plain, false, &gzipped), expected) << n;
    EXPECT_FALSE(gzipped);
    EXPECT_TRUE(plain.empty());  // freed as written
    auto zipped = families(n);
    const std::string z = write_exposition(zipped, true, &gzipped);
    EXPECT_TRUE(gzipped);
    EXPECT_EQ(testing::gunzip(z), expected) << n;
    if (n == 10000) {
      EXPECT_LT(z.size(), expected.size() / 5);
    }
  }
}

// Every kind of value and name the serializer may meet, written as prometheus-cpp writes it:
// NaN, infinities, negative zero, the extremes, integers past 2^53, fractions; label values with
// quotes, backslashes and newlines; a family without HELP; untyped; a timestamp; a histogram
// whose last bound is finite (prometheus-cpp then adds le="+Inf").
TEST(Exposition, EveryValueAsPrometheusCppWritesIt) {
  using prometheus::ClientMetric;
  using prometheus::MetricFamily;
  using prometheus::MetricType;
  const double values[] = {0.0,
                           -0.0,
                           1.0,
                           -1.0,
                           0.1,
                           1.0 / 3,
                           2.0 / 3 * 1e-5,
                           1795437393.14,
                           123456789012345678.0,
                           9007199254740993.0,
                           1e15,
                           1e16,
                           1e17,
                           1e-4,
                           1e-5,
                           5e-324,
                           2.2250738585072014e-308,
                           1.7976931348623157e308,
                           -1.7976931348623157e308,
                           std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           4096,
                           0.5003,
                           12.25};
  MetricFamily gauge{"g", "Help with \\ and \"quotes\".", MetricType::Gauge, {}};
  MetricFamily counter{"c_total", "", MetricType::Counter, {}};
  MetricFamily untyped{"u", "Untyped.", MetricType::Untyped, {}};
  for (double v : values) {
    ClientMetric m;
    m.label = {{"a", "x\"y\\z\nw"}, {"b", ""}};
    m.gauge.value = v;
    gauge.metric.push_back(m);
    ClientMetric c;
    c.counter.value = v;
    counter.metric.push_back(c);
    ClientMetric u;
    u.untyped.value = v;
    u.timestamp_ms = 1700000000123;
    u.label = {{"k", "v"}};
    untyped.metric.push_back(u);
  }
  MetricFamily hist{"h_seconds", "H.", MetricType::Histogram, {}};
  ClientMetric h;
  h.histogram.sample_count = 18446744073709551615ull;
  h.histogram.sample_sum = 0.1 + 0.2;
  h.histogram.bucket = {{1, 0.005}, {2, 2.5}, {3, 10}};  // the last bound finite
  hist.metric.push_back(h);
  h.label = {{"x", "1"}};
  h.histogram.bucket.push_back({4, std::numeric_limits<double>::infinity()});
  hist.metric.push_back(h);
  std::vector<MetricFamily> all = {gauge, counter, untyped, hist};
  const std::string expected = prometheus::TextSerializer().Serialize(all);
  bool gzipped = false;
  EXPECT_EQ(write_exposition(all, false, &gzipped), expected);
}

}  // namespace
}  // namespace virtnet
