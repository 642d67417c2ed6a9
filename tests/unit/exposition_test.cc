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
constexpr auto kH = MetricDef::histogram("virtnet_test_h_seconds", "A histogram.");

std::vector<CompactFamily> families(int n) {
  MetricSink sink;
  for (int i = 0; i < n; ++i) {
    sink.add(kA, i * 0.5, {{"link", "tap" + std::to_string(i)}});
    sink.add(kB, i, {{"domain", "instance-" + std::to_string(i)}, {"mode", "user"}});
  }
  const double bounds[] = {0.1, 1};
  const std::uint64_t counts[] = {1, 2, 3};
  sink.add_histogram(kH, bounds, counts, 4.5);
  sink.add_histogram(kH, bounds, counts, 0.25, {{"collector", "vrrp"}});
  return sink.take_compact();
}

// What prometheus-cpp's TextSerializer writes for the same families: the reference.
std::string reference(const std::vector<CompactFamily>& f) {
  return prometheus::TextSerializer().Serialize(to_families(f));
}

// Plain or gzip'd as it goes, the text is byte for byte what prometheus-cpp writes for the same
// families; past the piece size too (20,000 samples, about 1 MB).
TEST(Exposition, SameBytesAsPrometheusCppWrites) {
  for (int n : {0, 3, 10000}) {
    auto plain = families(n);
    const std::string expected = reference(plain);
    bool gzipped = true;
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

// Every kind of value the sink may hold, written as prometheus-cpp writes it: NaN, infinities,
// negative zero, the extremes, integers past 2^53, fractions; label values with quotes and
// backslashes (as the sink repairs them) and empty ones; a family without HELP; a histogram whose
// last bound is finite (prometheus-cpp then adds le="+Inf").
TEST(Exposition, EveryValueAsPrometheusCppWritesIt) {
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
  MetricSink sink;
  int i = 0;
  for (double v : values) {
    const std::string n = std::to_string(i++);
    sink.add(MetricDef::gauge("g", "Help with \\ and \"quotes\"."), v,
             {{"a", "x\"y\\z\nw" + n}, {"b", ""}});
    sink.add(MetricDef::counter("c_total", ""), v, {{"n", n}});
  }
  auto all = sink.take_compact();
  CompactFamily hist{"h_seconds", "H.", prometheus::MetricType::Histogram, {}, {}, {}, {}};
  hist.end_sample();  // no labels
  prometheus::ClientMetric::Histogram h;
  h.sample_count = 18446744073709551615ull;
  h.sample_sum = 0.1 + 0.2;
  h.bucket = {{1, 0.005}, {2, 2.5}, {3, 10}};  // the last bound finite
  hist.histograms.push_back(h);
  hist.add_label("x", "1");
  hist.end_sample();
  h.bucket.push_back({4, std::numeric_limits<double>::infinity()});
  hist.histograms.push_back(h);
  all.push_back(hist);
  const std::string expected = reference(all);
  EXPECT_NE(expected.find("le=\"+Inf\"} 18446744073709551615"), std::string::npos);
  bool gzipped = false;
  EXPECT_EQ(write_exposition(all, false, &gzipped), expected);
}

// Families of one name from two collectors are served as one (the text format allows one HELP and
// TYPE a name): their samples appended, labels and all.
TEST(Exposition, AppendedFamiliesKeepEachSamplesLabels) {
  auto a = families(3), b = families(2);
  const auto want = to_families(a).front().metric.size() + to_families(b).front().metric.size();
  a.front().append(std::move(b.front()));
  const auto merged = to_families(a).front();
  ASSERT_EQ(merged.metric.size(), want);
  EXPECT_EQ(merged.metric[3].label.at(0).value, "tap0");  // b's first, after a's three
  EXPECT_EQ(merged.metric[4].gauge.value, 0.5);
}

}  // namespace
}  // namespace virtnet
