#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace virtnet {

// Text from outside (process, domain and interface names, paths, file contents) may hold any
// bytes. Prometheus rejects a whole scrape over one label value that is not valid UTF-8, and log
// collectors choke on it too: everything that leaves the exporter goes through these.

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

// Label values are capped: a 131 KB qemu -name made 39 MB scrapes. The cap is in bytes, the cut
// falls on a character boundary and is marked with U+2026 (inside the cap).
inline constexpr std::size_t kMaxLabelValueBytes = 256;
inline constexpr std::string_view kTruncationMarker = "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS

// What a label value from outside becomes: valid UTF-8, control characters replaced (a name
// with a newline or an escape sequence is never meaningful in a legend), at most
// kMaxLabelValueBytes. Escaping for the text format is the serializer's. Idempotent.
// `max_bytes` (at most kMaxLabelValueBytes) leaves room for a suffix the caller appends.
std::string sanitize_label_value(std::string_view s, std::size_t max_bytes = kMaxLabelValueBytes);

// True when `s` is already what sanitize_label_value would make of it (the common case: no copy).
bool is_clean_label_value(std::string_view s, std::size_t max_bytes = kMaxLabelValueBytes);

}  // namespace virtnet
