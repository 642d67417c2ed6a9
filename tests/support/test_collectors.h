#pragma once

#include <vector>

#include "exporter/scrape/collector.h"

namespace virtnet::testing {

// Collectors that misbehave on purpose, for the framework's tests. Never in the shipped binary:
// test_fail returns kError, test_throw throws, test_slow sleeps past any sane scrape budget,
// test_background runs the background helper (exporter/scrape/background.h) over bounded state.
std::vector<CollectorInfo> misbehaving_collectors();

}  // namespace virtnet::testing
