#pragma once

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <optional>

namespace virtnet {

// poll(2)'s timeout for a thread that has nothing to do before its earliest deadline: the
// milliseconds until then (rounded up, so that the thread does not wake just before it and
// poll again), or -1, "until a descriptor is ready", when it has none. A deadline past is 0.
inline int poll_timeout_ms(
    std::initializer_list<std::optional<std::chrono::steady_clock::time_point>> deadlines,
    std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
  std::optional<std::chrono::steady_clock::time_point> first;
  for (const auto& d : deadlines) {
    if (d && (!first || *d < *first)) first = d;
  }
  if (!first) return -1;
  if (*first <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*first - now).count();
  return static_cast<int>(std::min<decltype(ms)>(ms, 24 * 3600 * 1000));
}

}  // namespace virtnet
