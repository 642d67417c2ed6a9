#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "collectors/libvirt/qcow2_parse.h"

namespace virtnet::libvirt {

// A disk's backing chain, its own image first: each file and whether it is still there. A chain
// ends at a raw image, at a file that is gone, at a name that is not a local file, or where a
// header cannot be trusted (`problem`).
struct ChainFile {
  std::string path;
  std::string format;  // "qcow2", "raw", or as the XML or the overlay's header recorded it
  bool exists = true;
};
struct Chain {
  std::vector<ChainFile> files;
  int missing_at = -1;  // the position of the first file gone (0: the disk's own image)
  std::string problem;  // a loop, a chain deeper than kMaxChainDepth, a header that lies
  enum class Problem { kNone, kLoop, kTooDeep, kUnreadable, kHeader };
  Problem kind = Problem::kNone;
};

inline constexpr int kMaxChainDepth = 16;

// What the walk needs of a file: whether it exists, its identity (a loop is the same inode
// twice), and for a present one its header (parse_image_header's, cached by the caller).
struct ImageProbe {
  enum class State { kPresent, kMissing, kError };
  State state = State::kMissing;
  std::string error;  // kError: why (EACCES, an unreadable folder, EIO ...)
  std::uint64_t dev = 0, ino = 0;
  ImageHeaderResult header;  // read only when asked for (want_header)
};
// `want_header`: false for a file recorded raw (its existence only).
using ProbeFn = std::function<ImageProbe(const std::string& path, bool want_header)>;

// For an inactive domain, whose XML has no <backingStore>: follows the headers from `image`,
// probing each file. `format` is the image's as the XML records it. A file recorded raw is never
// read as qcow2, whatever its bytes say: a guest writes its raw disk, and could plant a header
// naming any host file. Pure but for `probe`.
Chain walk_chain(const std::string& image, const std::string& format, const ProbeFn& probe);

// For a running domain, whose live XML names its chain: checks each file's presence with
// `exists` (true, false, or nothing when it cannot tell: an error, kept as the problem).
struct NamedFile {
  std::string path, format;
};
using ExistsFn = std::function<ImageProbe::State(const std::string& path, std::string* error)>;
Chain check_chain(const std::vector<NamedFile>& files, const ExistsFn& exists);

}  // namespace virtnet::libvirt
