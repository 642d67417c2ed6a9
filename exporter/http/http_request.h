#pragma once

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace virtnet {

// Pure request handling: the raw request target in, decisions out. The server matches paths on
// the raw target, before any decoding, so "/metrics%00" or "/METRICS" is not "/metrics".

enum class Route { kMetrics, kLanding, kFindings, kRunbooks, kHealthy, kReady, kNotFound };

// /runbooks/ (their list) and /runbooks/NAME.
inline constexpr std::string_view kRunbooksPath = "/runbooks/";
inline constexpr std::string_view kFindingsPath = "/api/v1/findings";

struct RequestTarget {
  std::string_view path;   // raw, still percent-encoded
  std::string_view query;  // after the first '?', raw
};
RequestTarget split_target(std::string_view raw);

// Exact, case-sensitive match of the raw path; anything else is kNotFound.
Route route_of(std::string_view raw_path, std::string_view telemetry_path);

// One rule for every path: GET and HEAD are served; any other method on a known path is 405,
// on an unknown path 404.
bool method_allowed(std::string_view method);

// application/x-www-form-urlencoded, as Go's url.ParseQuery reads it (Prometheus' params are
// encoded so: collect%5B%5D=process): '&' separates pairs, '+' is a space, %XX a byte. Returns
// false (and says why) on a malformed escape.
bool parse_query(std::string_view query, std::vector<std::pair<std::string, std::string>>& out,
                 std::string* error);

// The collectors a scrape is restricted to, from every collect[] in the query. An empty value or
// a malformed query is an error (a 400), never "scrape nothing".
struct CollectFilter {
  std::set<std::string> only;  // empty: every enabled collector
  std::string error;           // non-empty: answer 400 with it
};
CollectFilter parse_collect_filter(std::string_view query);

// Whether an Accept-Encoding header allows gzip: "gzip" or "*" listed with a q-value above 0
// (RFC 9110; "gzip;q=0" refuses it, an explicit gzip entry wins over "*").
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace virtnet
