#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "collectors/bpdu/bpdu_parse.h"

// Any bytes: never a read outside the frame (ASan); what is accepted has a known kind.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace virtnet::bpdu;
  const ParseResult r = parse_frame(std::span<const std::uint8_t>(data, size));
  if (r.reject == Reject::kNone && kind_name(r.kind) == "unknown") std::abort();
  return 0;
}
