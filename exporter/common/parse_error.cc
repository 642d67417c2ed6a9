#include "exporter/common/parse_error.h"

#include <charconv>

#include "exporter/common/utf8.h"

namespace virtnet {

std::string quote_line(std::string_view line) {
  constexpr std::size_t kMax = 120;
  // Cut on a character boundary and repaired: the quote ends up in log lines and errors.
  std::string shown;
  append_utf8_repaired(shown, line.substr(0, kMax + 1), false);
  const bool cut = shown.size() > kMax;
  if (cut) shown.resize(utf8_cut(shown, kMax));
  std::string out = "\"";
  for (char c : shown) {
    if (c == '"' || c == '\\') out += '\\';
    out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
  }
  if (cut || line.size() > kMax + 1) out += "...";
  out += '"';
  return out;
}

unsigned long long parse_u64(std::string_view s, std::string_view what) {
  unsigned long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    throw ParseError(std::string(what) + ": not an unsigned integer: " + quote_line(s));
  }
  return v;
}

long long parse_i64(std::string_view s, std::string_view what) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    throw ParseError(std::string(what) + ": not an integer: " + quote_line(s));
  }
  return v;
}

}  // namespace virtnet
