#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace virtnet::libvirt {

// What the first bytes of a disk image say about its backing file. A file without qcow2's magic
// is taken as raw: it has no header, and the chain ends there.
struct ImageHeader {
  enum class Kind { kRaw, kQcow2 };
  Kind kind = Kind::kRaw;
  std::uint32_t version = 0;
  std::uint64_t virtual_size = 0;
  std::string backing;         // as recorded: absolute, relative to the image's folder, or a URL
  std::string backing_format;  // header extension 0xE2792ACA, "" when not recorded
};

struct ImageHeaderResult {
  bool ok = false;
  ImageHeader header;
  // When !ok: why ("qcow2 version 7", "backing file name of 5000 bytes" ...), or, with `need`
  // set, only that the bytes given end before the backing name: read `need` bytes and parse again.
  std::string error;
  std::size_t need = 0;
};

// The most a backing name may hold (qemu's own bound), and the most bytes of an image the parser
// asks for: qemu requires the name within the first cluster, at most 2 MiB.
inline constexpr std::size_t kMaxBackingName = 1023;
inline constexpr std::size_t kMaxHeaderBytes = (2u << 20) + kMaxBackingName + 1;

// Parses the head of an image (big-endian qcow2 header: magic "QFI\xfb", version 2 or 3, backing
// offset and size, virtual size, header extensions). `file_size` is the whole file's: a backing
// name past the end is an error, not a request for more. Pure; never throws.
ImageHeaderResult parse_image_header(std::string_view head, std::uint64_t file_size);

// Where a backing name points, for an image at `image_path`: an absolute name as it is, a relative
// one against the image's folder; "" for what is not a local file (a URL such as nbd://, or
// qemu's json: names): the chain is not followed there.
std::string resolve_backing(std::string_view image_path, std::string_view backing);

}  // namespace virtnet::libvirt
