#pragma once

#include "exporter/scrape/collector.h"

namespace virtnet::process {

CollectorInfo process_info();
// The conditions on its series (process_conditions.cc).
std::vector<Condition> process_conditions();

}  // namespace virtnet::process
