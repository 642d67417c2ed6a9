#pragma once

#include "exporter/scrape/collector.h"

namespace virtnet::sockstat {

CollectorInfo sockstat_info();
// The conditions on its series (sockstat_conditions.cc).
std::vector<Condition> sockstat_conditions();

}  // namespace virtnet::sockstat
