#include "exporter/common/utf8.h"

namespace virtnet {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

struct Step {
  bool valid;
  std::size_t length;  // of the character, or of the maximal invalid subpart (>= 1)
};

// One step of a UTF-8 decoder at s[i] (i < s.size()), per the Unicode table of well-formed
// byte sequences (Table 3-7).
Step decode(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {true, 1};
  std::size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {false, 1};
  }
  for (std::size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size()) return {false, k};
    const auto b = static_cast<unsigned char>(s[i + k]);
    const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) return {false, k};
  }
  return {true, need + 1};
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

}  // namespace

std::size_t valid_utf8_prefix(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto st = decode(s, i);
    if (!st.valid) break;
    i += st.length;
  }
  return i;
}

void append_utf8_repaired(std::string& out, std::string_view s, bool replace_controls) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto st = decode(s, i);
    if (!st.valid || (replace_controls && is_control(static_cast<unsigned char>(s[i])))) {
      out += kReplacement;
    } else {
      out.append(s.substr(i, st.length));
    }
    i += st.length;
  }
}

std::size_t utf8_cut(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s.size();
  std::size_t i = max_bytes;
  // Step back over continuation bytes to the start of the character that does not fit.
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

}  // namespace virtnet
