// Link dump bytes from the kernel (or anything posing as them): never a crash, and every link
// that comes out has a name.
#include <cstdlib>
#include <string_view>

#include "collectors/links/links_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<virtnet::links::ParsedLink> links;
  virtnet::links::parse_link_chunk(std::string_view(reinterpret_cast<const char*>(data), size),
                                   links);
  for (const auto& l : links) {
    if (l.link.name.empty()) std::abort();
  }
  virtnet::links::compute_stacks([&] {
    std::vector<virtnet::links::Link> v;
    for (const auto& l : links) v.push_back(l.link);
    return v;
  }());
  return 0;
}
