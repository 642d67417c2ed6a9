#include "collectors/libvirt/domain_state.h"

#include <array>

namespace virtnet::libvirt {
namespace {

template <std::size_t N>
std::string_view pick(const std::array<std::string_view, N>& names, int i) {
  return i >= 0 && static_cast<std::size_t>(i) < N ? names[static_cast<std::size_t>(i)] : "unknown";
}

constexpr std::array<std::string_view, 8> kStates = {
    "nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended"};
constexpr std::array<std::string_view, 12> kRunning = {
    "unknown",       "booted",   "migrated",           "restored",
    "from_snapshot", "unpaused", "migration_canceled", "save_canceled",
    "wakeup",        "crashed",  "postcopy",           "postcopy_failed"};
constexpr std::array<std::string_view, 14> kPaused = {
    "unknown", "user",        "migration",     "save",           "dump",
    "ioerror", "watchdog",    "from_snapshot", "shutting_down",  "snapshot",
    "crashed", "starting_up", "postcopy",      "postcopy_failed"};
constexpr std::array<std::string_view, 2> kShutdown = {"unknown", "user"};
constexpr std::array<std::string_view, 9> kShutoff = {"unknown", "shutdown",      "destroyed",
                                                      "crashed", "migrated",      "saved",
                                                      "failed",  "from_snapshot", "daemon"};
constexpr std::array<std::string_view, 2> kCrashed = {"unknown", "panicked"};
constexpr std::array<std::string_view, 1> kOther = {"unknown"};

}  // namespace

std::string_view state_name(int state) { return pick(kStates, state); }

std::string_view state_reason_name(int state, int reason) {
  switch (state) {
    case 1:
      return pick(kRunning, reason);
    case 3:
      return pick(kPaused, reason);
    case 4:
      return pick(kShutdown, reason);
    case 5:
      return pick(kShutoff, reason);
    case 6:
      return pick(kCrashed, reason);
    default:
      return pick(kOther, reason);
  }
}

}  // namespace virtnet::libvirt
