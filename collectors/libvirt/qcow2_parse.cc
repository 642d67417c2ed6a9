#include "collectors/libvirt/qcow2_parse.h"

#include <fmt/format.h>

namespace virtnet::libvirt {
namespace {

std::uint64_t be(std::string_view s, std::size_t at, std::size_t bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < bytes; ++i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
  return v;
}

constexpr std::uint32_t kBackingFormatExt = 0xE2792ACA;
constexpr std::size_t kV2HeaderBytes = 72;
// Header extensions read at most: qemu writes a handful.
constexpr int kMaxExtensions = 64;

}  // namespace

ImageHeaderResult parse_image_header(std::string_view head, std::uint64_t file_size) {
  ImageHeaderResult r;
  if (head.size() < 4 || head.substr(0, 4) != std::string_view("QFI\xfb", 4)) {
    r.ok = true;  // raw
    return r;
  }
  ImageHeader& h = r.header;
  h.kind = ImageHeader::Kind::kQcow2;
  if (head.size() < kV2HeaderBytes) {
    r.error = fmt::format("qcow2 header cut at {} bytes", head.size());
    if (file_size >= kV2HeaderBytes) r.need = kV2HeaderBytes;
    return r;
  }
  h.version = static_cast<std::uint32_t>(be(head, 4, 4));
  if (h.version != 2 && h.version != 3) {
    r.error = fmt::format("qcow2 version {}", h.version);
    return r;
  }
  const std::uint64_t offset = be(head, 8, 8);
  const std::uint64_t size = be(head, 16, 4);
  h.virtual_size = be(head, 24, 8);
  if (offset != 0 || size != 0) {
    if (size == 0 || size > kMaxBackingName) {
      r.error = fmt::format("backing file name of {} bytes", size);
      return r;
    }
    if (offset < kV2HeaderBytes || offset > kMaxHeaderBytes - kMaxBackingName - 1) {
      r.error = fmt::format("backing file name at offset {}", offset);
      return r;
    }
    if (offset + size > file_size) {
      r.error = fmt::format("backing file name at {}..{}, past the end of the {}-byte file", offset,
                            offset + size, file_size);
      return r;
    }
    if (offset + size > head.size()) {
      r.error = "backing file name past the bytes read";
      r.need = static_cast<std::size_t>(offset + size);
      return r;
    }
    h.backing.assign(head.substr(static_cast<std::size_t>(offset), static_cast<std::size_t>(size)));
    if (h.backing.find('\0') != std::string::npos) {
      r.error = "backing file name holds a NUL byte";
      return r;
    }
  }
  // Header extensions: after the header (v3 says its length; v2's is 72), to the end marker.
  std::size_t at = kV2HeaderBytes;
  if (h.version == 3) {
    if (head.size() < 104) {
      r.error = fmt::format("qcow2 v3 header cut at {} bytes", head.size());
      if (file_size >= 104) r.need = 104;
      return r;
    }
    at = static_cast<std::size_t>(be(head, 100, 4));
    if (at < 104 || at > kMaxHeaderBytes) {
      r.error = fmt::format("qcow2 header length {}", at);
      return r;
    }
  }
  for (int i = 0; i < kMaxExtensions; ++i) {
    if (at + 8 > head.size()) break;  // the format is optional: stop where the bytes do
    const auto type = static_cast<std::uint32_t>(be(head, at, 4));
    const auto len = static_cast<std::size_t>(be(head, at + 4, 4));
    if (type == 0) break;
    if (len > head.size() - at - 8) break;
    if (type == kBackingFormatExt && len <= 64) h.backing_format.assign(head.substr(at + 8, len));
    at += 8 + ((len + 7) & ~std::size_t{7});
  }
  if (h.backing_format.find('\0') != std::string::npos) h.backing_format.clear();
  r.ok = true;
  return r;
}

std::string resolve_backing(std::string_view image_path, std::string_view backing) {
  if (backing.empty() || backing.find("://") != std::string_view::npos ||
      backing.substr(0, 5) == "json:") {
    return "";
  }
  if (backing.front() == '/') return std::string(backing);
  const auto slash = image_path.rfind('/');
  if (slash == std::string_view::npos) return std::string(backing);
  return std::string(image_path.substr(0, slash + 1)) + std::string(backing);
}

}  // namespace virtnet::libvirt
