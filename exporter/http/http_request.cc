#include "exporter/http/http_request.h"

#include <optional>

#include "exporter/common/parse_error.h"

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
  if (raw_path == kFindingsPath) return Route::kFindings;
  if (raw_path.rfind(kRunbooksPath, 0) == 0) return Route::kRunbooks;
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

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

// The q-value of one element ("gzip;q=0.5"): 1 without one, 0 if it is not a number.
double qvalue(std::string_view params) {
  while (!params.empty()) {
    const auto semi = params.find(';');
    const auto p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      const auto v = p.substr(2);
      if (v.empty() || (v[0] != '0' && v[0] != '1')) return 0;
      double q = v[0] - '0';
      if (v.size() > 2 && v[1] == '.' && v[0] == '0') {
        double scale = 0.1;
        for (char c : v.substr(2)) {
          if (c < '0' || c > '9') return 0;
          q += (c - '0') * scale;
          scale /= 10;
        }
      }
      return q;
    }
  }
  return 1;
}

}  // namespace

bool accepts_gzip(std::string_view header) {
  std::optional<double> gzip, star;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const auto item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    const auto semi = item.find(';');
    const auto coding = trim(item.substr(0, semi));
    const double q = semi == std::string_view::npos ? 1 : qvalue(item.substr(semi + 1));
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) gzip = q;
    if (coding == "*") star = q;
  }
  if (gzip) return *gzip > 0;
  return star && *star > 0;
}

}  // namespace virtnet
