#pragma once

#include "exporter/scrape/collector.h"

namespace virtnet::libvirt {

CollectorInfo libvirt_info();
// The conditions on its series (libvirt_conditions.cc).
std::vector<Condition> libvirt_conditions();

}  // namespace virtnet::libvirt
