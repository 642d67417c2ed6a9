#pragma once

#include <string_view>

namespace virtnet {

// A sample's labels as the scrape's families and the findings' samples keep them, in one buffer:
// for each label its name, a NUL, its value, a NUL (values come repaired from the sink, so none
// holds a NUL). Each label as f(name, value), in order; a cut-off tail is ignored.
template <typename F>
void for_each_packed_label(std::string_view packed, F&& f) {
  while (!packed.empty()) {
    const auto k = packed.find('\0');
    if (k == std::string_view::npos) return;
    const auto v = packed.find('\0', k + 1);
    if (v == std::string_view::npos) return;
    f(packed.substr(0, k), packed.substr(k + 1, v - k - 1));
    packed.remove_prefix(v + 1);
  }
}

// The value of label `name` in `packed`: empty when it has none, as PromQL reads an absent label.
inline std::string_view packed_label(std::string_view packed, std::string_view name) {
  std::string_view out;
  bool found = false;
  for_each_packed_label(packed, [&](std::string_view k, std::string_view v) {
    if (!found && k == name) {
      out = v;
      found = true;
    }
  });
  return out;
}

}  // namespace virtnet
