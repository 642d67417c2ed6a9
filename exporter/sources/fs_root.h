#pragma once

// exporter/sources/: the only code that touches the system, each part behind a small interface: a
// re-rootable /proc, /sys or / (this file), the shared /proc walk and its stat parser, netlink
// link and sock_diag dumps, named network namespaces (entering one, watching the directory, the
// options every collector that uses them shares), and packet capture with the pure reader of the
// frames it delivers. It may call common only: a source never includes a collector.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace virtnet {

enum class ReadStatus { kOk, kAbsent, kDenied, kError };

struct ReadResult {
  ReadStatus status = ReadStatus::kError;
  std::string data;
  int error = 0;  // errno when status is not kOk
};

// A re-rootable view of /proc or /sys: every read goes through here so the whole exporter can run
// against a fixture tree. Files are read whole with read(2), never stat(2) (procfs reports size 0),
// and capped so a runaway file cannot exhaust memory.
class FsRoot {
 public:
  explicit FsRoot(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string path(std::string_view relative) const;
  // An absolute host path (from a domain's XML, a glob) as this process reaches it under the root.
  std::string under(std::string_view absolute) const {
    return root_ == "/" ? std::string(absolute)
                        : path(absolute.substr(!absolute.empty() && absolute.front() == '/'));
  }
  ReadResult read(std::string_view relative, std::size_t max_bytes = kDefaultMaxBytes) const;
  // As read(), into a buffer the caller reuses across files (the process walk reads thousands).
  ReadStatus read_into(std::string_view relative, std::string& out, int* error,
                       std::size_t max_bytes = kDefaultMaxBytes) const;
  // Calls `entry` for each name in the directory except "." and "..".
  ReadStatus list_dir(std::string_view relative, const std::function<void(std::string_view)>& entry,
                      int* error) const;
  ReadStatus readlink(std::string_view relative, std::string& out, int* error) const;
  // The number of open fds of /proc/PID/fd from stat(2)'s st_size (Linux >= 6.2), without
  // listing the directory. nullopt when the root is not a real procfs (a fixture tree) or the
  // kernel reports 0 (older kernels; or no fds): list the directory then.
  std::optional<std::uint64_t> proc_fd_count(std::string_view relative) const;
  bool is_procfs() const;
  // Whether the path exists (stat succeeds), for device nodes and directories.
  bool exists(std::string_view relative) const;

  static constexpr std::size_t kDefaultMaxBytes = 4u << 20;

 private:
  std::string root_;
  mutable std::optional<bool> procfs_;  // checked once, on first use
};

// ENOENT and ESRCH mean the file (or the process behind it) is gone: not an error.
ReadStatus classify_errno(int err);

}  // namespace virtnet
