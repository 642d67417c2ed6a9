#pragma once

#include <vector>

#include "exporter/scrape/collector.h"

namespace virtnet {

// The shipped collectors, in a fixed order: an explicit list, not static self-registration.
std::vector<CollectorInfo> builtin_collectors();

// The conditions of every collector (a rule group each, in registry order), then the exporter's
// own: what `rules` prints and diagnose evaluates.
std::vector<ConditionGroup> condition_groups(const std::vector<CollectorInfo>& registry);

}  // namespace virtnet
