#include "exporter/http/http_request.h"

#include <gtest/gtest.h>

namespace virtnet {
namespace {

TEST(HttpRequest, RoutesMatchTheRawPathExactly) {
  EXPECT_EQ(route_of("/metrics", "/metrics"), Route::kMetrics);
  EXPECT_EQ(route_of("/", "/metrics"), Route::kLanding);
  EXPECT_EQ(route_of("/-/healthy", "/metrics"), Route::kHealthy);
  EXPECT_EQ(route_of("/-/ready", "/metrics"), Route::kReady);
  for (auto p : {"/METRICS", "/metrics/", "/metrics%00", "/metrics%2F", "//metrics", "/metricsx",
                 "", "/-/healthy/", "/%2D/ready"}) {
    EXPECT_EQ(route_of(p, "/metrics"), Route::kNotFound) << p;
  }
  auto t = split_target("/metrics?collect%5B%5D=process");
  EXPECT_EQ(t.path, "/metrics");
  EXPECT_EQ(t.query, "collect%5B%5D=process");
  EXPECT_EQ(split_target("/x").query, "");
}

TEST(HttpRequest, Methods) {
  EXPECT_TRUE(method_allowed("GET"));
  EXPECT_TRUE(method_allowed("HEAD"));
  for (auto m : {"POST", "OPTIONS", "PUT", "DELETE", "get", "PATCH", "TRACE", ""}) {
    EXPECT_FALSE(method_allowed(m)) << m;
  }
}

TEST(HttpRequest, CollectFilter) {
  struct Case {
    const char* query;
    std::set<std::string> only;
    bool error;
  } cases[] = {
      {"", {}, false},
      {"collect[]=process", {"process"}, false},
      {"collect%5B%5D=process", {"process"}, false},  // as Prometheus sends params
      {"collect%5b%5d=process&collect%5B%5D=sockstat", {"process", "sockstat"}, false},
      {"collect[]=a+b", {"a b"}, false},
      {"other=1&&collect[]=x&", {"x"}, false},
      {"collect[]=", {}, true},  // would scrape nothing: up 1 and no data
      {"collect[]", {}, true},
      {"collect[]=x&collect[]=", {}, true},
      {"collect[]=%zz", {}, true},
      {"collect[]=%4", {}, true},
      {"collect%5B%5D=%", {}, true},
  };
  for (const auto& c : cases) {
    auto f = parse_collect_filter(c.query);
    EXPECT_EQ(f.only, c.only) << c.query;
    EXPECT_EQ(!f.error.empty(), c.error) << c.query << ": " << f.error;
  }
}

TEST(HttpRequest, AcceptsGzip) {
  struct Case {
    const char* header;
    bool gzip;
  } cases[] = {
      {"gzip", true},  // what Prometheus sends
      {"gzip, deflate, br", true},
      {"deflate, GZIP;q=0.5", true},
      {"x-gzip", true},
      {"*", true},
      {"gzip;q=0", false},
      {"gzip;q=0.000", false},
      {"*;q=0.1, gzip;q=0", false},  // the explicit entry wins
      {"gzip;q=0, *", false},
      {"deflate", false},
      {"identity", false},
      {"", false},
      {"gzip;q=bogus", false},
      {"gzipx", false},
  };
  for (const auto& c : cases) EXPECT_EQ(accepts_gzip(c.header), c.gzip) << c.header;
}

}  // namespace
}  // namespace virtnet
