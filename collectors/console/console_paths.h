#pragma once

#include <string>
#include <string_view>

namespace virtnet::console {

// The instance a console log found by a glob belongs to: Nova keeps it in
// /var/lib/nova/instances/<uuid>/console.log, so the folder's name when it is a UUID, else "".
std::string uuid_from_path(std::string_view path);

}  // namespace virtnet::console
