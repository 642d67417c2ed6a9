#pragma once

#include <vector>

#include "exporter/scrape/collector.h"

namespace virtnet {

// The whole program: flags, config, collectors, HTTP, signals (SIGHUP reloads, SIGTERM/SIGINT
// stop). Returns the process exit code.
int run_exporter(int argc, char** argv, const std::vector<CollectorInfo>& registry);

}  // namespace virtnet
