#pragma once

#include <string>

namespace virtnet {

// A Linux capability a collector (or a source it uses) needs, and what for: shown when it is
// missing, and kept by --run-as.
struct CapabilityNeed {
  int cap;  // CAP_SYS_PTRACE, ...
  std::string why;
  bool operator==(const CapabilityNeed&) const = default;
};

}  // namespace virtnet
