// Random label bytes through the sink and prometheus-cpp's serializer: the output must pass the
// checks Prometheus applies to a scrape (and no series twice), every value must come back as the
// sink made it, distinct names must stay distinct values and give their name back (unless cut),
// and log lines and quoted errors carrying the same bytes must be valid UTF-8.
#include <fuzzer/FuzzedDataProvider.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <set>

#include "exporter/common/label_value.h"
#include "exporter/common/logging.h"
#include "exporter/common/parse_error.h"
#include "exporter/common/utf8.h"
#include "exporter/http/exposition.h"
#include "exporter/scrape/metric_sink.h"
#include "tests/support/exposition_check.h"

namespace {
void check(bool ok, const char* what) {
  if (!ok) {
    std::cerr << "fuzz_labels: " << what << "\n";
    std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace virtnet;
  FuzzedDataProvider in(data, size);
  std::vector<std::string> values;
  while (values.size() < 4 && in.remaining_bytes() > 0) {
    auto v = in.ConsumeRandomLengthString(2 * kMaxLabelValueBytes);
    // Distinct names only: the same name twice would be the same series, rightly refused.
    if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(std::move(v));
  }
  MetricSink sink;
  for (const auto& v : values) {
    sink.add(MetricDef::gauge("virtnet_fuzz_value", "Fuzz."), 1, {{"a", v}, {"b", v + v}});
  }
  // What is served (write_exposition), checked against what prometheus-cpp writes.
  auto families = sink.take_compact();
  const std::string reference = prometheus::TextSerializer().Serialize(to_families(families));
  bool gzipped = false;
  const std::string served = write_exposition(families, false, &gzipped);
  check(served == reference, "the served text differs from prometheus-cpp's");
  std::string err;
  auto samples = testing::parse_exposition(served, &err);
  check(err.empty(), "the scrape would be rejected (or two names became one series)");
  check(samples.size() == values.size(), "a sample went missing");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto& got = samples[i].labels[0].second;
    check(got == sanitize_label_value(values[i]), "a value did not round-trip");
    check(got.size() <= kMaxLabelValueBytes, "a value over the cap");
    check(valid_utf8_prefix(got) == got.size(), "a value is not UTF-8");
    check(seen.insert(got).second, "two distinct names gave one label value");
    if (is_plain_label_value(values[i])) check(got == values[i], "a plain value was changed");
    // What was not cut gives its name back; what was cut carries the marker.
    const auto back = decode_label_value(got);
    if (back) {
      check(*back == values[i], "a value decodes to another name");
    } else {
      check(got.find(kCutMarker) != std::string::npos, "an uncut value does not decode");
    }
  }
  for (const auto& v : values) {
    for (auto fmt : {LogFormat::kLogfmt, LogFormat::kJson}) {
      const auto line = format_log_line(fmt, "t", LogLevel::kInfo, v, {{"k", v}});
      check(valid_utf8_prefix(line) == line.size(), "a log line is not UTF-8");
    }
    const auto q = quote_line(v);
    check(valid_utf8_prefix(q) == q.size(), "a quoted line is not UTF-8");
  }
  return 0;
}
