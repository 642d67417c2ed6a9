#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace virtnet {

// Text from outside (process, domain and interface names, paths, file contents) may hold any
// bytes; log collectors choke on lines that are not UTF-8, and the landing page must show valid
// text: what leaves the exporter as text goes through these.

// The length of the longest prefix of `s` that is valid UTF-8 (shortest form, no surrogates,
// at most U+10FFFF).
std::size_t valid_utf8_prefix(std::string_view s);

// Appends `s` to `out` with each invalid byte sequence replaced by U+FFFD (one per maximal
// invalid subpart, as Unicode recommends and as Python's and Go's decoders do). With
// `replace_controls`, C0 control characters and DEL become U+FFFD too.
void append_utf8_repaired(std::string& out, std::string_view s, bool replace_controls);

// The byte length of the longest prefix of valid UTF-8 `s` that is at most `max_bytes` long and
// does not end inside a character.
std::size_t utf8_cut(std::string_view s, std::size_t max_bytes);

// Marks text cut to a bound (a failure reason, a quoted line).
inline constexpr std::string_view kTruncationMarker = "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS

// Label values are repaired without loss elsewhere: exporter/common/label_value.h.

}  // namespace virtnet
