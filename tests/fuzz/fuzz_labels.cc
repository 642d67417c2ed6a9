// Random label bytes through the sink and prometheus-cpp's serializer: the output must pass the
// checks Prometheus applies to a scrape, every value must come back as the sink made it, and log
// lines and quoted errors carrying the same bytes must be valid UTF-8.
#include <fuzzer/FuzzedDataProvider.h>
#include <prometheus/text_serializer.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "exporter/common/logging.h"
#include "exporter/common/parse_error.h"
#include "exporter/common/utf8.h"
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
  while (values.size() < 3 && in.remaining_bytes() > 0) {
    values.push_back(in.ConsumeRandomLengthString(2 * kMaxLabelValueBytes));
  }
  MetricSink sink;
  for (const auto& v : values) {
    sink.add(MetricDef::gauge("virtnet_fuzz_value", "Fuzz."), 1, {{"a", v}, {"b", v + v}});
  }
  std::ostringstream os;
  prometheus::TextSerializer().Serialize(os, sink.take());
  std::string err;
  auto samples = testing::parse_exposition(os.str(), &err);
  check(err.empty(), "the scrape would be rejected");
  check(samples.size() == values.size(), "a sample went missing");
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto& got = samples[i].labels[0].second;
    check(got == sanitize_label_value(values[i]), "a value did not round-trip");
    check(got.size() <= kMaxLabelValueBytes, "a value over the cap");
    check(sanitize_label_value(got) == got, "not idempotent");
    if (is_clean_label_value(values[i])) check(got == values[i], "a clean value was changed");
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
