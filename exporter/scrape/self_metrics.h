#pragma once

#include <vector>

#include "exporter/scrape/metric_sink.h"

namespace virtnet {

// virtnet_exporter_build_info and the process_* metrics of the exporter itself, read from the
// real /proc/self whatever --path.procfs says.
void append_self_metrics(MetricSink& out);
const std::vector<MetricDef>& self_metric_defs();

}  // namespace virtnet
