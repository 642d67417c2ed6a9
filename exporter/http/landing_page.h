#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "exporter/findings/diagnose.h"
#include "exporter/scrape/scraper.h"

namespace virtnet {

// The page at /: what is wrong on this host now, worst first, with culprits, next checks and
// runbooks; the recent events; the collectors' status. Plain HTML and CSS, no script, no external
// asset. Without a report (findings not evaluated here) only the collectors.
std::string render_landing_page(const std::vector<CollectorStatusView>& collectors,
                                const std::string& telemetry_path,
                                std::chrono::system_clock::time_point now,
                                const Report* report = nullptr);

// Where a finding's runbook link goes: a file:// URL (the package's copy, the default) is served
// by the exporter itself at /runbooks/ALERT, since a browser does not open a file link from a web
// page; an operator's own URL as it is.
std::string runbook_href(const std::string& runbook_url, const std::string& alert);

// Text for HTML: & < > " ' escaped, and what is not valid UTF-8 (or a control character) shown
// as U+FFFD.
std::string html_escape(const std::string& s);

// The head of every page the exporter serves as HTML: its title and the style sheet.
std::string html_head(const std::string& title);

}  // namespace virtnet
