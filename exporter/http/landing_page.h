#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "exporter/scrape/scraper.h"

namespace virtnet {

std::string render_landing_page(const std::vector<CollectorStatusView>& collectors,
                                const std::string& telemetry_path,
                                std::chrono::system_clock::time_point now);

std::string html_escape(const std::string& s);

}  // namespace virtnet
