#include "tests/support/exposition_check.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "exporter/common/utf8.h"

namespace virtnet::testing {

namespace {

bool name_start(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}
bool name_char(char c, bool colon) { return name_start(c, colon) || (c >= '0' && c <= '9'); }

// A metric name (colons allowed) or label name at s[i]; advances i.
bool take_name(std::string_view s, std::size_t& i, bool colon, std::string& out) {
  if (i >= s.size() || !name_start(s[i], colon)) return false;
  const std::size_t b = i;
  while (i < s.size() && name_char(s[i], colon)) ++i;
  out.assign(s.substr(b, i - b));
  return true;
}

bool take_value(std::string_view s, double& v) {
  if (s == "NaN") return v = NAN, true;
  if (s == "+Inf") return v = INFINITY, true;
  if (s == "-Inf") return v = -INFINITY, true;
  std::string t(s);
  char* end = nullptr;
  v = std::strtod(t.c_str(), &end);
  return !t.empty() && end == t.c_str() + t.size();
}

std::string parse_line(std::string_view line, ParsedSample& out) {
  std::size_t i = 0;
  if (!take_name(line, i, true, out.name)) return "bad metric name";
  if (i < line.size() && line[i] == '{') {
    ++i;
    std::set<std::string> seen;
    while (i < line.size() && line[i] != '}') {
      std::string lname;
      if (!take_name(line, i, false, lname)) return "bad label name";
      if (!seen.insert(lname).second) return "duplicate label name " + lname;
      if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') return "want =\"";
      i += 2;
      std::string val;
      for (;;) {
        if (i >= line.size()) return "unterminated label value";
        const char c = line[i++];
        if (c == '"') break;
        if (c == '\\') {
          if (i >= line.size()) return "unterminated escape";
          const char e = line[i++];
          // promparse replaces exactly these three; any other escape is kept as written.
          if (e == 'n') {
            val += '\n';
          } else if (e == '\\' || e == '"') {
            val += e;
          } else {
            val += '\\';
            val += e;
          }
        } else {
          val += c;
        }
      }
      if (valid_utf8_prefix(val) != val.size()) return "invalid UTF-8 label value";
      out.labels.emplace_back(std::move(lname), std::move(val));
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return "unterminated label set";
    ++i;
  }
  if (i >= line.size() || (line[i] != ' ' && line[i] != '\t')) return "want a space before value";
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  std::string_view rest = line.substr(i);
  const auto sp = rest.find(' ');
  if (!take_value(rest.substr(0, sp), out.value)) return "bad value";
  if (sp != std::string_view::npos) {
    double ts = 0;
    if (!take_value(rest.substr(sp + 1), ts)) return "bad timestamp";
  }
  return "";
}

}  // namespace

// One series' identity: its name and its labels, sorted, each part length-prefixed.
std::string series_key(const ParsedSample& s) {
  auto labels = s.labels;
  std::sort(labels.begin(), labels.end());
  std::string key = std::to_string(s.name.size()) + ":" + s.name;
  for (const auto& [k, v] : labels) {
    key += std::to_string(k.size()) + ":" + k + std::to_string(v.size()) + ":" + v;
  }
  return key;
}

std::vector<ParsedSample> parse_exposition(std::string_view text, std::string* error) {
  std::vector<ParsedSample> samples;
  std::set<std::string> series;
  std::size_t lineno = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    if (nl == std::string_view::npos) {
      *error = "no newline at the end";
      return samples;
    }
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    ++lineno;
    std::string why;
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
        std::size_t i = 7;
        std::string name;
        if (!take_name(line, i, true, name)) why = "bad metric name in comment";
        if (valid_utf8_prefix(line) != line.size()) why = "invalid UTF-8 in HELP";
        if (line[2] == 'T') {
          static const std::set<std::string_view> kTypes = {"counter", "gauge", "histogram",
                                                            "summary", "untyped"};
          if (i >= line.size() || !kTypes.count(line.substr(i + 1))) why = "bad TYPE";
        }
      }
    } else {
      ParsedSample s;
      why = parse_line(line, s);
      // Prometheus keeps one sample of a series a scrape gives twice, silently: two names that
      // became one label value lose a series without an error anywhere.
      if (why.empty() && !series.insert(series_key(s)).second) why = "duplicate series";
      if (why.empty()) samples.push_back(std::move(s));
    }
    if (!why.empty()) {
      *error = "line " + std::to_string(lineno) + ": " + why;
      return samples;
    }
  }
  return samples;
}

}  // namespace virtnet::testing
