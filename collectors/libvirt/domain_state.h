#pragma once

#include <string_view>

namespace virtnet::libvirt {

// libvirt's virDomainState and its reasons (a stable ABI), as label values: "running", "paused"
// with "ioerror", "shutoff" with "destroyed", "crashed" with "panicked" ... An unknown number is
// "unknown".
std::string_view state_name(int state);
std::string_view state_reason_name(int state, int reason);

inline constexpr int kStatePaused = 3;
inline constexpr int kPausedIoError = 5;
inline constexpr int kStateCrashed = 6;

}  // namespace virtnet::libvirt
