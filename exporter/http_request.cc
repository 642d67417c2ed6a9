#include "exporter/http_request.h"

#include "exporter/parse_error.h"

namespace virtnet {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unescape(std::string_view s, std::string& out, std::string* error) {
  out.clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      const int hi = i + 2 < s.size() ? hex(s[i + 1]) : -1;
      const int lo = i + 2 < s.size() ? hex(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        *error = "malformed percent-escape in the query: " + quote_line(s.substr(i, 3));
        return false;
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return true;
}

}  // namespace

RequestTarget split_target(std::string_view raw) {
  const auto q = raw.find('?');
  if (q == std::string_view::npos) return {raw, {}};
  return {raw.substr(0, q), raw.substr(q + 1)};
}

Route route_of(std::string_view raw_path, std::string_view telemetry_path) {
  if (raw_path == telemetry_path) return Route::kMetrics;
  if (raw_path == "/") return Route::kLanding;
  if (raw_path == "/-/healthy") return Route::kHealthy;
  if (raw_path == "/-/ready") return Route::kReady;
  return Route::kNotFound;
}

bool method_allowed(std::string_view method) { return method == "GET" || method == "HEAD"; }

bool parse_query(std::string_view query, std::vector<std::pair<std::string, std::string>>& out,
                 std::string* error) {
  out.clear();
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    std::string k, v;
    if (!unescape(pair.substr(0, eq), k, error)) return false;
    if (eq != std::string_view::npos && !unescape(pair.substr(eq + 1), v, error)) return false;
    out.emplace_back(std::move(k), std::move(v));
  }
  return true;
}

CollectFilter parse_collect_filter(std::string_view query) {
  CollectFilter f;
  std::vector<std::pair<std::string, std::string>> params;
  if (!parse_query(query, params, &f.error)) return f;
  for (auto& [k, v] : params) {
    if (k != "collect[]") continue;  // other parameters are ignored, as node_exporter does
    if (v.empty()) {
      f.error = "collect[] must name a collector";
      f.only.clear();
      return f;
    }
    f.only.insert(std::move(v));
  }
  return f;
}

}  // namespace virtnet
