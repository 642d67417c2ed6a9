// qemu command lines as /proc/PID/cmdline holds them (anyone may start a process named qemu):
// never a crash, never a netdev without a type and an id, vhost only on taps.
#include <cstdlib>
#include <string_view>

#include "collectors/qemu/qemu_parse.h"
#include "exporter/sources/proc_pid_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto c = virtnet::qemu::parse_cmdline(text);
  for (const auto& n : c.netdevs) {
    if (n.type.empty() || n.id.empty()) std::abort();
    if (n.vhost.has_value() != (n.type == "tap")) std::abort();
  }
  virtnet::parse_schedstat(text);
  virtnet::qemu::classify_thread(text, "qemu-system-x86", 1);
  return 0;
}
