#include "exporter/http/landing_page.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace virtnet
