#include "collectors/libvirt/backing_chain.h"

#include <fmt/format.h>

#include <set>
#include <utility>

namespace virtnet::libvirt {

Chain walk_chain(const std::string& image, const std::string& image_format, const ProbeFn& probe) {
  Chain c;
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
  std::string path = image;
  std::string format = image_format;  // as the XML, then each overlay, recorded it
  while (!path.empty()) {
    if (static_cast<int>(c.files.size()) >= kMaxChainDepth) {
      c.problem = fmt::format("a chain deeper than {} files", kMaxChainDepth);
      c.kind = Chain::Problem::kTooDeep;
      break;
    }
    const bool raw = format == "raw";
    const ImageProbe p = probe(path, !raw);
    ChainFile f{path, format, p.state != ImageProbe::State::kMissing};
    if (p.state == ImageProbe::State::kMissing) {
      c.missing_at = static_cast<int>(c.files.size());
      c.files.push_back(std::move(f));
      break;
    }
    if (p.state == ImageProbe::State::kError) {
      c.problem = fmt::format("{}: {}", path, p.error);
      c.kind = Chain::Problem::kUnreadable;
      c.files.push_back(std::move(f));
      break;
    }
    if (!seen.emplace(p.dev, p.ino).second) {
      c.problem = fmt::format("a loop in the chain at {}", path);
      c.kind = Chain::Problem::kLoop;
      break;
    }
    if (raw) {  // the end of the chain, whatever its bytes say
      c.files.push_back(std::move(f));
      break;
    }
    const auto& h = p.header;
    if (!h.ok) {
      c.problem = fmt::format("{}: {}", path, h.error);
      c.kind = Chain::Problem::kHeader;
      c.files.push_back(std::move(f));
      break;
    }
    const bool qcow2 = h.header.kind == ImageHeader::Kind::kQcow2;
    if (f.format.empty()) f.format = qcow2 ? "qcow2" : "raw";
    c.files.push_back(std::move(f));
    // A raw image has no header: whatever its bytes say, the chain ends (as qemu reads it, when
    // the overlay recorded it raw).
    if (!qcow2 || h.header.backing.empty()) break;
    path = resolve_backing(path, h.header.backing);
    format = h.header.backing_format;
  }
  return c;
}

Chain check_chain(const std::vector<NamedFile>& files, const ExistsFn& exists) {
  Chain c;
  for (const auto& n : files) {
    if (static_cast<int>(c.files.size()) >= kMaxChainDepth) {
      c.problem = fmt::format("a chain deeper than {} files", kMaxChainDepth);
      c.kind = Chain::Problem::kTooDeep;
      break;
    }
    std::string error;
    const auto state = exists(n.path, &error);
    c.files.push_back({n.path, n.format, state != ImageProbe::State::kMissing});
    if (state == ImageProbe::State::kMissing && c.missing_at < 0) {
      c.missing_at = static_cast<int>(c.files.size()) - 1;
    }
    if (state == ImageProbe::State::kError && c.problem.empty()) {
      c.problem = fmt::format("{}: {}", n.path, error);
      c.kind = Chain::Problem::kUnreadable;
    }
  }
  return c;
}

}  // namespace virtnet::libvirt
