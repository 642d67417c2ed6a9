#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace virtnet::testing {

// Entries of a directory: the exporter-in-test's own fds (/proc/self/fd) or threads
// (/proc/self/task), to show that something leaked none.
inline std::size_t entries(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

inline std::string fixture(const std::string& rel) {
  std::ifstream in(std::string(VIRTNET_FIXTURES) + "/" + rel, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// tests/fixtures/proc-pids.tar.gz: real /proc/PID trees (see tests/support/capture_proc_pid.py),
// extracted once per test binary over a copy of tests/fixtures/proc, removed at exit.
inline const std::string& proc_root_with_pids() {
  struct Tree {
    std::string dir;
    Tree() {
      char tmpl[] = "/tmp/virtnet-fixture-XXXXXX";
      dir = ::mkdtemp(tmpl);
      const std::string src = VIRTNET_FIXTURES;
      const std::string cmd = "cp -r '" + src + "/proc/.' '" + dir + "' && tar -xzf '" + src +
                              "/proc-pids.tar.gz' -C '" + dir + "'";
      if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot extract " + cmd);
    }
    ~Tree() { std::filesystem::remove_all(dir); }
  };
  static Tree tree;
  return tree.dir;
}

// The pids captured in proc-pids.tar.gz, and what each one is.
struct FixturePids {
  static constexpr int kQemu = 27908;        // bench/fake_qemu, domain instance-0000002a
  static constexpr int kKeepalived = 27910;  // proc_shapes fds 40 keepalived
  static constexpr int kHaproxy = 27920;     // proc_shapes fds 10000 haproxy
  static constexpr int kOvs = 27922;         // proc_shapes maps 5000 ovs-vswitchd
  static constexpr int kWeird = 27924;       // proc_shapes fds 3 "a) b (c"
  static constexpr int kZombie = 27927;      // proc_shapes zombie nova-compute
  static constexpr int kKthreadd = 2;
};

inline std::string pid_file(int pid, const std::string& rel) {
  std::ifstream in(proc_root_with_pids() + "/" + std::to_string(pid) + "/" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace virtnet::testing
