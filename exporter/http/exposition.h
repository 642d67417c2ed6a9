#pragma once

#include <string>
#include <vector>

#include "exporter/scrape/compact_family.h"

namespace virtnet {

// The text exposition of `families`, in prometheus-cpp 1.0's text format byte for byte (tested
// against its TextSerializer), one family at a time: each is freed once written, and with `gzip`
// the text is compressed as it is written (zlib's fastest level), so that neither the whole text
// nor a second copy of it is ever held beside the families. `families` is left empty. *gzipped says
// whether the body is gzip (it is not if zlib could not start).
std::string write_exposition(std::vector<CompactFamily>& families, bool gzip, bool* gzipped);

}  // namespace virtnet
