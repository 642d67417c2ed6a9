#include "collectors/console/console_paths.h"

#include <cctype>

namespace virtnet::console {

std::string uuid_from_path(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return "";
  const auto before = path.rfind('/', slash - 1);
  const std::string_view dir =
      path.substr(before == std::string_view::npos ? 0 : before + 1,
                  slash - (before == std::string_view::npos ? 0 : before + 1));
  if (dir.size() != 36) return "";
  for (std::size_t i = 0; i < dir.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const auto c = static_cast<unsigned char>(dir[i]);
    if (dash ? c != '-' : !std::isxdigit(c)) return "";
  }
  return std::string(dir);
}

}  // namespace virtnet::console
