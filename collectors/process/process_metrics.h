#pragma once

#include "collectors/process/process_state.h"
#include "exporter/scrape/metric_sink.h"

namespace virtnet::process {

// Builds the virtnet_process_* families of one scrape: per group, per process, the top-N lists
// and the collector's own counts. Pure: no I/O.
void emit_process_metrics(MetricSink& out, ScrapeView& v);

}  // namespace virtnet::process
