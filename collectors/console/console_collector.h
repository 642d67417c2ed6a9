#pragma once

#include "exporter/scrape/collector.h"

namespace virtnet::console {

CollectorInfo console_info();
// The conditions on its series (console_conditions.cc).
std::vector<Condition> console_conditions();

}  // namespace virtnet::console
