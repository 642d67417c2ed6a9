#pragma once

#include "exporter/scrape/collector.h"

namespace virtnet::bpdu {

CollectorInfo bpdu_info();
// The conditions on its series (bpdu_conditions.cc).
std::vector<Condition> bpdu_conditions();

}  // namespace virtnet::bpdu
