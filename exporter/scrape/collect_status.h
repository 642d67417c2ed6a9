#pragma once

namespace virtnet {

// kNoData: the source is absent (IPv6 off, no such device): not an error, nothing exported.
enum class CollectStatus { kOk, kNoData, kError };

}  // namespace virtnet
