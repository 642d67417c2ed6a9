#pragma once

#include "exporter/scrape/collector.h"

namespace virtnet::links {

// The `links` collector: one RTM_GETLINK dump per network namespace per scrape.
CollectorInfo links_info();
// The conditions on its series (links_conditions.cc).
std::vector<Condition> links_conditions();

}  // namespace virtnet::links
