#include "exporter/http/landing_page.h"

#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "exporter/common/utf8.h"
#include "exporter/common/version.h"

namespace virtnet {

namespace {

// Severity colours that read on paper and for the colour-blind alike: the word is always there.
constexpr const char* kStyle =
    "body{font-family:sans-serif;margin:1em 2em;color:#111}"
    "table{border-collapse:collapse;margin-bottom:1em}"
    "th,td{border:1px solid #999;padding:.2em .5em;text-align:left;vertical-align:top}"
    "th{background:#eee}.critical{background:#f8d0d0}.warning{background:#fbe8c0}"
    ".info{background:#e0e8f8}.ok{color:#161}.culprit{font-family:monospace}"
    "td.t{white-space:nowrap}p.note{color:#444}pre.md{white-space:pre-wrap;font-family:sans-serif;"
    "max-width:50em}";

// The page stays readable, and cheap to make, however many series are past their threshold.
constexpr std::size_t kMaxRows = 200;

std::string culprit_html(const std::vector<std::pair<std::string, std::string>>& culprit) {
  std::string s;
  for (const auto& [name, value] : culprit) {
    s += (s.empty() ? "" : "<br>") + html_escape(name) + "=\"" + html_escape(value) + "\"";
  }
  return s;
}

std::string number_text(double v) {
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}

std::string ago(double seconds) {
  if (seconds < 120) return fmt::format("{:.0f} s", std::max(0.0, seconds));
  if (seconds < 7200) return fmt::format("{:.0f} min", seconds / 60);
  return fmt::format("{:.1f} h", seconds / 3600);
}

std::string findings_section(const Report& r, double now) {
  std::string s = "<h2>What is wrong now</h2>\n";
  if (!r.evaluated_at) {
    return s +
           "<p class=\"note\">Not evaluated yet: the findings come from two collections at "
           "least a second apart (two scrapes, or the exporter's own collection when nothing "
           "scrapes).</p>\n";
  }
  s += fmt::format(
      "<p class=\"note\">Evaluated {} ago ({}) from {} collectors, rates over the {} s between "
      "the last two collections. The alerts' <code>for</code> is not waited for here: a "
      "condition shows from the first collection it holds in.</p>\n",
      ago(now - *r.evaluated_at), utc_time(*r.evaluated_at), r.collectors,
      number_text(std::round(r.watch_seconds * 10) / 10));
  if (r.findings.empty()) return s + "<p class=\"ok\" id=\"nothing-wrong\">Nothing found.</p>\n";
  s += "<table id=\"findings\">\n<tr><th>severity</th><th>alert</th><th>culprit</th><th>what</th>"
       "<th>next check</th></tr>\n";
  std::size_t shown = 0;
  for (const auto& f : r.findings) {
    if (++shown > kMaxRows) break;
    const std::string sev = html_escape(f.severity);
    s += fmt::format(
        "<tr class=\"{}\"><td>{}</td><td><a href=\"{}\">{}</a></td><td class=\"culprit\">{}</td>"
        "<td>{}<br><small>{}</small></td><td>{}</td></tr>\n",
        sev, sev, html_escape(runbook_href(f.runbook_url, f.alert)), html_escape(f.alert),
        culprit_html(f.culprit), html_escape(f.summary), html_escape(f.description),
        html_escape(f.next_check));
  }
  s += "</table>\n";
  if (r.findings.size() > kMaxRows) {
    s += fmt::format(
        "<p class=\"note\">and {} more, the least bad: all of them in <a "
        "href=\"/api/v1/findings\">/api/v1/findings</a>.</p>\n",
        r.findings.size() - kMaxRows);
  }
  return s;
}

std::string events_section(const Report& r, double now) {
  std::string s = fmt::format(
      "<h2>Recent events</h2>\n<p class=\"note\">Findings as they began and ended, newest first: "
      "{} held, at most {}; {} pushed out.</p>\n",
      r.events.size(), r.events_capacity, r.events_evicted);
  if (r.events.empty()) return s + "<p id=\"no-events\">None.</p>\n";
  s += "<table id=\"events\">\n<tr><th>began</th><th>ended</th><th>lasted</th><th>severity</th>"
       "<th>alert</th><th>culprit</th><th>at its worst</th></tr>\n";
  for (const auto& e : r.events) {
    const double end = e.ended.value_or(now);
    std::string worst;
    if (e.measure) {
      worst = html_escape(e.measure_name) + " " + fmt::format("{:.3g}", *e.measure) + " " +
              html_escape(e.measure_unit) + "<br>";
    }
    worst += "<small>" + html_escape(e.description) + "</small>";
    const std::string sev = html_escape(e.severity);
    const std::string url = runbook_href(r.runbook_template, e.alert);
    s += fmt::format(
        "<tr class=\"{}\"><td class=\"t\">{}</td><td class=\"t\">{}</td><td>{}</td><td>{}</td>"
        "<td><a href=\"{}\">{}</a></td><td class=\"culprit\">{}</td><td>{}</td></tr>\n",
        sev, utc_time(e.began), e.ended ? utc_time(*e.ended) : "ongoing", ago(end - e.began), sev,
        html_escape(url), html_escape(e.alert), culprit_html(e.culprit), worst);
  }
  return s + "</table>\n";
}

}  // namespace

std::string html_escape(const std::string& s) {
  std::string valid;
  append_utf8_repaired(valid, s, true);
  std::string out;
  out.reserve(valid.size());
  for (char c : valid) {
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

std::string runbook_href(const std::string& runbook_url, const std::string& alert) {
  const std::string placeholder = "{alert}";
  if (runbook_url.rfind("file://", 0) == 0) return "/runbooks/" + alert;
  std::string out = runbook_url;
  for (auto at = out.find(placeholder); at != std::string::npos;
       at = out.find(placeholder, at + alert.size())) {
    out.replace(at, placeholder.size(), alert);
  }
  return out;
}

std::string html_head(const std::string& title) {
  return fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title><style>{}</style>"
      "</head>\n<body>\n",
      html_escape(title), kStyle);
}

std::string render_landing_page(const std::vector<CollectorStatusView>& collectors,
                                const std::string& telemetry_path,
                                std::chrono::system_clock::time_point now, const Report* report) {
  const std::string path = html_escape(telemetry_path);
  std::string rows;
  for (const auto& c : collectors) {
    std::string last = "never scraped", duration = "", result = c.enabled ? "" : "disabled";
    if (c.enabled && c.has_run) {
      const auto ago_s = std::chrono::duration<double>(now - c.last_time).count();
      last = fmt::format("{:.0f} s ago", ago_s);
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
  std::string findings;
  if (report) {
    const double t = std::chrono::duration<double>(now.time_since_epoch()).count();
    findings = findings_section(*report, t) + events_section(*report, t);
  }
  return html_head("virtnet_exporter") +
         fmt::format(
             "<h1>virtnet_exporter</h1>\n<p>Version {} (revision {})</p>\n"
             "<p><a href=\"{}\">Metrics</a> &middot; <a href=\"/api/v1/findings\">Findings "
             "(JSON)</a> &middot; <a href=\"/runbooks/\">Runbooks</a> &middot; "
             "<a href=\"/-/healthy\">Health</a> &middot; <a href=\"/-/ready\">Ready</a></p>\n{}"
             "<h2>Collectors</h2>\n<table border=\"1\">\n"
             "<tr><th>collector</th><th>enabled</th><th>last result</th><th>last scrape</th>"
             "<th>duration</th><th>what it reads</th></tr>\n{}</table>\n</body></html>\n",
             kVersion, kRevision, path, findings, rows);
}

}  // namespace virtnet
