#pragma once

#include <memory>
#include <string>
#include <vector>

#include "exporter/common/capability_need.h"

namespace virtnet {

class Collector;

// In the calling thread's effective set (capabilities are per thread: threads started after a
// drop inherit it).
bool has_capability(int cap);
std::string capability_name(int cap);  // "CAP_SYS_PTRACE"

// "missing CAP_X (why), CAP_Y (why)", or "" when all are held.
std::string missing_capabilities(const std::vector<CapabilityNeed>& needs);

// --run-as: from root to `user` (and its groups), keeping only `keep` (permitted and effective;
// the bounding set emptied, no new privileges). Must run before any thread starts. Throws
// std::runtime_error with one operator-readable line.
void run_as(const std::string& user, const std::vector<int>& keep);

// Wraps a collector that needs capabilities: when one is missing at a scrape, the collector still
// exports what it could read, and reports success 0 with the missing capabilities as the reason
// (logged once per change by the scraper, shown on the landing page).
std::unique_ptr<Collector> gate_on_capabilities(std::unique_ptr<Collector> c,
                                                std::vector<CapabilityNeed> needs);

}  // namespace virtnet
