#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace virtnet {

// `in` as a gzip stream (RFC 1952) at zlib's `level` (1 fastest .. 9 smallest); nothing if zlib
// fails (the caller then sends it uncompressed).
std::optional<std::string> gzip_compress(std::string_view in, int level);

}  // namespace virtnet
