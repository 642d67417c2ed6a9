#pragma once

#include <vector>

#include "exporter/common/condition.h"

namespace virtnet {

// The exporter's own conditions, on the series every scrape carries: a collector failing or
// stale, and (fleet-wide, for Prometheus alone) the exporter down.
std::vector<Condition> self_conditions();

}  // namespace virtnet
