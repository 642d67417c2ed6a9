// Prints every metric family the exporter can emit, one per line: "COLLECTOR NAME TYPE", the
// framework's own families under "exporter". tests/checks/docs_metrics.py compares this with the
// metric tables of docs/collectors/.
#include <iostream>

#include "exporter/collector_registry.h"
#include "exporter/http/findings_feed.h"
#include "exporter/http/http_server.h"
#include "exporter/scrape/background.h"
#include "exporter/scrape/scraper.h"
#include "exporter/scrape/self_metrics.h"

namespace {

void print(const std::string& who, const std::vector<virtnet::MetricDef>& defs) {
  for (const auto& d : defs) {
    std::cout << who << ' ' << d.name << ' '
              << (d.type == prometheus::MetricType::Counter     ? "counter"
                  : d.type == prometheus::MetricType::Histogram ? "histogram"
                                                                : "gauge")
              << '\n';
  }
}

}  // namespace

int main() {
  int rc = 0;
  for (const auto& info : virtnet::builtin_collectors()) {
    // A collector that declares nothing would go unchecked by its sink and its page both.
    if (info.metrics.empty()) {
      std::cerr << "list_metrics: collector " << info.name << " declares no metric families\n";
      rc = 1;
    }
    print(info.name, info.metrics);
  }
  print("exporter", virtnet::scrape_metric_defs());
  print("exporter", virtnet::http_metric_defs());
  print("exporter", virtnet::findings_metric_defs());
  print("exporter", virtnet::background_metric_defs());
  print("exporter", virtnet::self_metric_defs());
  return rc;
}
