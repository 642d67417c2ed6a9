#pragma once

#include <vector>

#include "exporter/scrape/collector.h"

namespace virtnet {

// The shipped collectors, in a fixed order: an explicit list, not static self-registration.
std::vector<CollectorInfo> builtin_collectors();

}  // namespace virtnet
