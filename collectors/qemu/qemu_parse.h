#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace virtnet::qemu {

// One -netdev of a qemu command line.
struct Netdev {
  std::string id;    // "hostnet0"
  std::string type;  // "tap", "user", "vhost-user", "bridge", ...
  // For tap netdevs: whether the kernel's vhost-net serves it (true) or qemu's own userspace
  // virtio-net does (false). Absent for other types, which vhost-net does not apply to.
  std::optional<bool> vhost;
};

struct Cmdline {
  // -name guest=NAME (libvirt), or -name NAME; ",," is an escaped comma. This, the UUID and the
  // netdevs' id and type are bounded (bound_label_input): they become labels.
  std::string domain;
  std::string uuid;  // -uuid
  std::vector<Netdev> netdevs;
  std::size_t malformed = 0;  // -netdev values that could not be read (logged once, counted)
};

// Parses /proc/PID/cmdline of a qemu (NUL-separated arguments): the legacy option syntax
// (-netdev tap,fd=25,id=hostnet0,vhost=on,vhostfd=27) and the JSON one libvirt uses today
// (-netdev {"type":"tap","fd":"31","vhost":true,"vhostfd":"33","id":"hostnet0"}). As qemu
// itself: vhost is on when vhost=on, or when vhostfd(s) is given and vhost is not off. Never
// throws; a value it cannot read is counted in `malformed`.
Cmdline parse_cmdline(std::string_view cmdline);

// Whether a process is a qemu, from its comm (15 bytes at most: "qemu-system-x86" for
// qemu-system-x86_64): the one test the qemu and process collectors share (and the process
// collector's default qemu group matches the same comms).
bool is_qemu(std::string_view comm);

// The `domain` label of a qemu, the same in every collector that names one: its -name (as
// parse_cmdline keeps it, bounded), or "pid-N" without one, not yet repaired: the sink does that.
// With `with_pid` (a second qemu of the same name) " (pid N)" is appended, so that two qemu of
// one name, however long, give two labels.
std::string domain_label(std::string_view domain, std::int64_t pid, bool with_pid);

// What a thread of a qemu started with debug-threads=on does, from its comm.
enum class ThreadClass { kVcpu, kVhost, kIothread, kMain, kOther };
struct ThreadKind {
  ThreadClass cls = ThreadClass::kOther;
  std::optional<int> vcpu;  // the index of a "CPU n/KVM" thread
};
// "CPU 3/KVM" and "CPU 0/TCG" are vCPUs; "vhost-<qemu pid>" vhost workers (threads of the qemu
// since Linux 6.4, kernel threads before: the caller passes the qemu's pid); "IO <id>" iothreads
// (mon_iothread included); the thread named as the process is the main loop; "worker",
// "call_rcu", KVM's helpers and anything else are other.
ThreadKind classify_thread(std::string_view comm, std::string_view process_comm,
                           std::int64_t qemu_pid);

std::string_view thread_class_name(ThreadClass c);

}  // namespace virtnet::qemu
