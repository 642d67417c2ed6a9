#pragma once

// exporter/: the program. main, the app that wires every part in named steps (flags, sources,
// config, privileges, signals, the server, reloads), the command line (flags: it names options of
// every layer), and the list of shipped collectors (collector_registry). It may include anything;
// nothing includes it but main and the test binaries.

#include <vector>

#include "exporter/scrape/collector.h"

namespace virtnet {

// The whole program: flags, config, collectors, HTTP, signals (SIGHUP reloads, SIGTERM/SIGINT
// stop). Returns the process exit code.
int run_exporter(int argc, char** argv, const std::vector<CollectorInfo>& registry);

}  // namespace virtnet
