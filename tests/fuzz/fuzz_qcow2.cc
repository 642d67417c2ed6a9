// The head of a disk image, which a guest's owner may have written (an uploaded image): never a
// crash; a backing name within qemu's bound; a request for more bytes only within the cluster
// bound and past what was given; and the chain walk over such headers ends.
#include <cstdlib>
#include <string>
#include <string_view>

#include "collectors/libvirt/backing_chain.h"
#include "collectors/libvirt/qcow2_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace virtnet::libvirt;
  const std::string_view head(reinterpret_cast<const char*>(data), size);
  for (std::uint64_t file_size : {static_cast<std::uint64_t>(size), std::uint64_t{1} << 30}) {
    const auto r = parse_image_header(head, file_size);
    if (r.ok && r.header.backing.size() > kMaxBackingName) std::abort();
    if (r.need != 0 && (r.need <= size || r.need > kMaxHeaderBytes)) std::abort();
    if (r.ok && r.header.kind == ImageHeader::Kind::kQcow2) {
      (void)resolve_backing("/var/lib/nova/instances/x/disk", r.header.backing);
    }
  }
  // Every file of the chain holds these bytes: a loop by name at worst, which the walk ends.
  std::uint64_t ino = 0;
  const Chain c = walk_chain("/img", "", [&](const std::string&, bool want_header) {
    ImageProbe p;
    p.state = ImageProbe::State::kPresent;
    p.ino = ++ino;
    if (want_header) p.header = parse_image_header(head, size);
    return p;
  });
  if (c.files.size() > static_cast<std::size_t>(kMaxChainDepth)) std::abort();
  return 0;
}
