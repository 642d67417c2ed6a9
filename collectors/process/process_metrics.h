#pragma once

#include <vector>

#include "collectors/process/process_state.h"
#include "exporter/scrape/metric_sink.h"

namespace virtnet::process {

// Builds the virtnet_process_* families of one scrape: per group, per process, the top-N lists
// and the collector's own counts. Pure: no I/O.
void emit_process_metrics(MetricSink& out, ScrapeView& v);

// Every family emit_process_metrics can emit (the collector's declaration).
const std::vector<MetricDef>& process_metric_defs();

}  // namespace virtnet::process
