#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace virtnet::testing {

struct ParsedSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // values unescaped
  double value = 0;
};

// Parses Prometheus text exposition (format 0.0.4) with the rules Prometheus 2.x's parser
// (textparse/promparse) applies to a scrape: metric and label name syntax, quoted label values
// with \\ \" \n escapes, values that are valid UTF-8 (one bad value fails the whole scrape),
// no duplicate label names, a float value; and what Prometheus lets through silently, a series
// given twice (it keeps one). Returns the samples; on the first violation sets
// `*error` to the line number and reason and returns what was parsed before it.
std::vector<ParsedSample> parse_exposition(std::string_view text, std::string* error);

}  // namespace virtnet::testing
