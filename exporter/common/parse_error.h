#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace virtnet {

// Thrown by the pure parsers; the message quotes the offending line (trimmed to a sane length).
class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string quote_line(std::string_view line);

// Splits on runs of spaces and tabs.
template <typename F>
void for_each_field(std::string_view line, F&& f) {
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) f(line.substr(i, j - i));
    i = j;
  }
}

template <typename F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    f(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

// Unsigned decimal; throws ParseError naming `what` on anything else (sign, overflow, junk).
unsigned long long parse_u64(std::string_view s, std::string_view what);
long long parse_i64(std::string_view s, std::string_view what);

}  // namespace virtnet
