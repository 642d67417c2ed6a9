#include "exporter/http/landing_page.h"

#include <fmt/format.h>

#include "exporter/common/version.h"

namespace virtnet {

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_landing_page(const std::vector<CollectorStatusView>& collectors,
                                const std::string& telemetry_path,
                                std::chrono::system_clock::time_point now) {
  const std::string path = html_escape(telemetry_path);
  std::string rows;
  for (const auto& c : collectors) {
    std::string last = "never scraped", duration = "", result = c.enabled ? "" : "disabled";
    if (c.enabled && c.has_run) {
      const auto ago = std::chrono::duration<double>(now - c.last_time).count();
      last = fmt::format("{:.0f} s ago", ago);
      duration = fmt::format("{:.6f} s", c.last_duration_seconds);
      if (c.last_success) {
        result = "ok";
      } else {
        // The collector's own words, and apart why the scrape had no fresh result of it.
        if (!c.last_error.empty()) result = "failed: " + html_escape(c.last_error);
        if (!c.late.empty())
          result += (result.empty() ? "late: " : "<br>late: ") + html_escape(c.late);
        if (result.empty()) result = "failed (no reason given)";
      }
    }
    const std::string name = html_escape(c.name);
    // Only enabled collectors can be asked for alone; collect[] of a disabled one is a 400.
    const std::string cell =
        c.enabled ? fmt::format("<a href=\"{}?collect[]={}\">{}</a>", path, name, name) : name;
    rows +=
        fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    cell, c.enabled ? "yes" : "no", result, last, duration, html_escape(c.help));
  }
  return fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>virtnet_exporter</title>"
      "</head>\n<body>\n<h1>virtnet_exporter</h1>\n<p>Version {} (revision {})</p>\n"
      "<p><a href=\"{}\">Metrics</a> &middot; <a href=\"/-/healthy\">Health</a> &middot; "
      "<a href=\"/-/ready\">Ready</a></p>\n<h2>Collectors</h2>\n<table border=\"1\">\n"
      "<tr><th>collector</th><th>enabled</th><th>last result</th><th>last scrape</th>"
      "<th>duration</th><th>what it reads</th></tr>\n{}</table>\n</body></html>\n",
      kVersion, kRevision, path, rows);
}

}  // namespace virtnet
