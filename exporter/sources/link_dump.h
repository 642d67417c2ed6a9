#pragma once

#include <functional>
#include <string_view>

namespace virtnet {

// Dumps the network links of the calling thread's namespace (RTM_GETLINK with NLM_F_DUMP on a
// NETLINK_ROUTE socket of libnl's), handing each received buffer (a run of netlink messages) to
// `on_chunk`, which returns true once it has seen the end of the dump. The socket is opened per
// dump, by the calling thread: inside run_in_netns it belongs to that namespace. Throws
// std::runtime_error on socket errors and after `timeout_ms` without data.
void dump_links(int timeout_ms, const std::function<bool(std::string_view)>& on_chunk);

}  // namespace virtnet
