// Domain XML as libvirtd returns it, which an instance's owner partly chooses (names, metadata):
// never a crash, a leak or an entity expanded; a domain always has a name, labels stay bounded.
#include <cstdlib>
#include <string_view>

#include "collectors/libvirt/domain_xml_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto r = virtnet::libvirt::parse_domain_xml(text);
  if (r.domain.has_value() == !r.error.empty()) std::abort();
  if (r.domain) {
    if (r.domain->name.empty() || r.domain->name.size() > 1100) std::abort();
    for (const auto& d : r.domain->disks) {
      if (d.backing.size() > static_cast<std::size_t>(virtnet::libvirt::kMaxChainDepth))
        std::abort();
    }
  }
  return 0;
}
