#include "exporter/scrape/capture_cost.h"

namespace virtnet {

void emit_capture_cost(MetricSink& out, const CaptureCostMetrics& m, const CaptureCost& c) {
  out.add(m.dropped, static_cast<double>(c.dropped_full.load()), {{"reason", "buffer_full"}});
  out.add(m.dropped, static_cast<double>(c.dropped_budget.load()), {{"reason", "cpu_budget"}});
  out.add(m.held, c.held_seconds.load());
  out.add(m.cpu, c.cpu_seconds.load());
}

}  // namespace virtnet
