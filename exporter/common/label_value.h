#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace virtnet {

// A label value from outside (a process, interface, domain or namespace name, a path) may hold
// any bytes. Prometheus rejects a whole scrape over one value that is not valid UTF-8, and a
// repair that loses bytes makes two names one series. So the metric sink, the one place every
// label value passes, repairs without losing anything:
// - valid UTF-8 characters are kept, but for '\', which becomes "\\";
// - each byte of an invalid sequence, and each C0 control character and DEL, becomes "\xHH"
//   (lowercase hex): a name can be read back (decode_label_value), and names that differ only
//   in invalid bytes stay apart;
// - a repair longer than kMaxLabelValueBytes is cut on a character boundary (never inside an
//   escape) and ends with kCutMarker and 24 hex digits of the SHA-256 of the whole name: two
//   names cut alike differ by their hash, and kCutMarker never occurs as a token (read from the
//   left, escape by escape) in a value not cut, so a cut value never equals an uncut one. (As a
//   substring it may: "\~" repairs to "\\~". Tell a cut value by decode_label_value.)
// Escaping for the text format is the serializer's. Not idempotent: repair a name once.
inline constexpr std::size_t kMaxLabelValueBytes = 256;
inline constexpr std::string_view kCutMarker = "\\~";
inline constexpr std::size_t kCutHashHexDigits = 24;

std::string sanitize_label_value(std::string_view raw);

// True when the repair keeps `raw` as it is (the common case: no copy).
bool is_plain_label_value(std::string_view raw);

// The name a repaired value came from; nothing for a value that was cut, or that no repair
// makes (a lone '\', an escape of a byte that needs none).
std::optional<std::string> decode_label_value(std::string_view label);

// For a name kept between scrapes (a qemu's -name in its state): the name if it is at most
// kMaxLabelInputBytes, else its first kMaxLabelInputBytes, a NUL and the hex SHA-256 of the
// whole. Its repair is as distinct as the name's, and a 131 KB -name costs 1 KiB of state.
inline constexpr std::size_t kMaxLabelInputBytes = 1024;
std::string bound_label_input(std::string_view raw);

// The hex SHA-256 of `data`, `digits` hex digits of it (at most 64).
std::string sha256_hex(std::string_view data, std::size_t digits = 64);

}  // namespace virtnet
