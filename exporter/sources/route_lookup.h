#pragma once

#include <map>
#include <optional>
#include <string>

namespace virtnet {

// An IPv4 or IPv6 address as the kernel's inet_ntop writes it ("" when `text` is none): the key
// of address_owners.
std::string canonical_address(const std::string& text);

// Every address of the calling thread's namespace, with the device that holds it (one RTM_GETADDR
// dump). Throws std::runtime_error on socket errors and after `timeout_ms` without data.
std::map<std::string, int> address_owners(int timeout_ms);

// The device the route to `address` leaves by (RTM_GETROUTE, as `ip route get` asks); nothing
// when there is no route or `address` is no address. Throws as above.
std::optional<int> route_device(const std::string& address, int timeout_ms);

}  // namespace virtnet
