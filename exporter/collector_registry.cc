#include "collectors/sockstat/sockstat_collector.h"
#include "exporter/collector.h"

namespace virtnet {

std::vector<CollectorInfo> builtin_collectors() { return {sockstat::sockstat_info()}; }

}  // namespace virtnet
