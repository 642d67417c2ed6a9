#include "exporter/http/landing_page.h"

#include <gtest/gtest.h>

#include "exporter/common/utf8.h"
#include "exporter/http/runbooks.h"

namespace virtnet {
namespace {

TEST(LandingPage, ListsCollectorsWithStatusAndEscapes) {
  auto now = std::chrono::system_clock::now();
  std::vector<CollectorStatusView> v(4);
  v[0].name = "sockstat";
  v[0].enabled = v[0].has_run = v[0].last_success = true;
  v[0].last_duration_seconds = 0.00025;
  v[0].last_time = now - std::chrono::seconds(3);
  v[1].name = "broken";
  v[1].enabled = v[1].has_run = true;
  v[1].last_error = "<script>x</script>";
  v[1].late = "did not finish within the deadline";
  v[1].last_time = now;
  v[2].name = "off";
  v[3].name = "slow";  // only late: no error of its own
  v[3].enabled = v[3].has_run = true;
  v[3].late = "still running since an earlier scrape";
  v[3].last_time = now;
  auto html = render_landing_page(v, "/metrics", now);
  EXPECT_NE(html.find("<a href=\"/metrics?collect[]=sockstat\">sockstat</a></td><td>yes</td>"
                      "<td>ok</td><td>3 s ago</td><td>0.000250 s</td>"),
            std::string::npos)
      << html;
  // Its own error, and apart the lateness.
  EXPECT_NE(html.find("failed: &lt;script&gt;x&lt;/script&gt;<br>late: did not finish within the "
                      "deadline"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("<td>late: still running since an earlier scrape</td>"), std::string::npos)
      << html;
  EXPECT_NE(html.find("<tr><td>off</td><td>no</td><td>disabled</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("href=\"/-/healthy\""), std::string::npos);
}

Report report_with(const std::string& name) {
  Report r;
  r.running = true;
  r.collectors = 2;
  r.watch_seconds = 15;
  r.evaluated_at = 1000;
  r.runbook_template = "file:///usr/share/doc/virtnet-exporter/runbooks/{alert}.md";
  ReportFinding f;
  f.alert = "VirtnetLinkMtuHeadroomNegative";
  f.severity = "critical";
  f.summary = "A link cannot carry full-size frames.";
  f.description = "Link " + name + " has -100 bytes of MTU headroom.";
  f.next_check = "ip -d link show " + name;
  f.runbook_url =
      "file:///usr/share/doc/virtnet-exporter/runbooks/VirtnetLinkMtuHeadroomNegative.md";
  f.culprit = {{"netns", ""}, {"link", name}};
  r.findings.push_back(f);
  Event e;
  e.alert = "VirtnetVrrpMasterDownGap";
  e.severity = "critical";
  e.culprit = {{"source", "10.0.0.1"}};
  e.description = "VRRP master 10.0.0.1 fell silent.";
  e.measure = 3.6;
  e.measure_name = "gap";
  e.measure_unit = "s";
  e.began = 900;
  e.ended = 915;
  r.events.push_back(e);
  r.events_capacity = 1000;
  return r;
}

TEST(LandingPage, FindingsWorstFirstThenEventsThenCollectors) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1010));
  const Report r = report_with("vx0");
  const auto html = render_landing_page({}, "/metrics", now, &r);
  const auto findings = html.find("<table id=\"findings\">");
  const auto events = html.find("<table id=\"events\">");
  const auto collectors = html.find("<h2>Collectors</h2>");
  ASSERT_NE(findings, std::string::npos) << html;
  ASSERT_NE(events, std::string::npos) << html;
  EXPECT_LT(findings, events);
  EXPECT_LT(events, collectors);
  // The package's runbook (file://) is served by the exporter: a browser would not open it.
  EXPECT_NE(html.find("<a href=\"/runbooks/VirtnetLinkMtuHeadroomNegative\">"), std::string::npos);
  EXPECT_NE(html.find("link=\"vx0\""), std::string::npos) << html;
  EXPECT_NE(html.find("Evaluated 10 s ago"), std::string::npos);
  EXPECT_NE(
      html.find("<td class=\"t\">1970-01-01T00:15:00Z</td><td class=\"t\">1970-01-01T00:15:15Z</td>"
                "<td>15 s</td>"),
      std::string::npos)
      << html;
  EXPECT_NE(html.find("gap 3.6 s"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // no script, no external asset
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST(LandingPage, AnOutsideNameIsInertText) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1010));
  const Report r = report_with("<script>alert(1)</script>\xff\xfe\"'&");
  const auto html = render_landing_page({}, "/metrics", now, &r);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(
      html.find("&lt;script&gt;alert(1)&lt;/script&gt;\xEF\xBF\xBD\xEF\xBF\xBD&quot;&#39;&amp;"),
      std::string::npos)
      << html;
  EXPECT_EQ(utf8_cut(html, html.size()), html.size());  // valid UTF-8 throughout
}

TEST(LandingPage, AnOperatorsRunbookUrlIsKept) {
  EXPECT_EQ(runbook_href("https://wiki.example/runbooks/{alert}", "VirtnetX"),
            "https://wiki.example/runbooks/VirtnetX");
  EXPECT_EQ(runbook_href("file:///usr/share/doc/virtnet-exporter/runbooks/{alert}.md", "VirtnetX"),
            "/runbooks/VirtnetX");
}

TEST(LandingPage, ARunbooksHeadingsOutsideItsCodeBlocks) {
  const RunbookPage p{
      "VirtnetX",
      "# VirtnetX (critical)\n\nOne.\n\nTwo.\n\nThree.\n\n## Diagnosis\n\n1. Look:\n"
      "   ```\n   # a shell comment\n   ```\n\n## Mitigation\n\nFix <it>.\n"};
  const auto html = render_runbook_page(p);
  EXPECT_NE(html.find("<h2>Diagnosis</h2>"), std::string::npos) << html;
  EXPECT_NE(html.find("<h2>Mitigation</h2>"), std::string::npos) << html;
  EXPECT_EQ(html.find("<h1>a shell comment"), std::string::npos) << html;
  EXPECT_NE(html.find("   # a shell comment"), std::string::npos) << html;
  EXPECT_NE(html.find("Fix &lt;it&gt;."), std::string::npos) << html;
}

TEST(LandingPage, EveryShippedRunbookIsServed) {
  ASSERT_GE(runbook_pages().size(), 30u);
  const auto* p = find_runbook("VirtnetVrrpMasterDownGap");
  ASSERT_NE(p, nullptr);
  const auto html = render_runbook_page(*p);
  EXPECT_NE(html.find("<h1>VirtnetVrrpMasterDownGap (critical)</h1>"), std::string::npos);
  EXPECT_NE(html.find("<h2>Mitigation</h2>"), std::string::npos);
  EXPECT_EQ(find_runbook("VirtnetNoSuchAlert"), nullptr);
  EXPECT_EQ(find_runbook("../../etc/passwd"), nullptr);
  EXPECT_NE(render_runbook_index().find("href=\"/runbooks/VirtnetVrrpMasterDownGap\""),
            std::string::npos);
}

}  // namespace
}  // namespace virtnet
