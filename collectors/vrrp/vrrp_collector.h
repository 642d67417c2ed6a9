#pragma once

#include "exporter/scrape/collector.h"

namespace virtnet::vrrp {

CollectorInfo vrrp_info();
// The conditions on its series (vrrp_conditions.cc).
std::vector<Condition> vrrp_conditions();

}  // namespace virtnet::vrrp
