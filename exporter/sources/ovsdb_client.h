#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "exporter/sources/ovsdb_parse.h"

namespace virtnet {

// Open vSwitch's database as the last message from ovsdb-server left it.
struct OvsdbSnapshot {
  bool present = false;    // the socket exists: an Open vSwitch host
  bool connected = false;  // connected, the monitor answered, and the server answers in time
  std::string error;       // why not connected ("" when it is, or when there is no socket)
  std::shared_ptr<const ovsdb::Database> db;  // as last known; stale while not connected
};

// What the client has done since it started, for the collector's own series.
struct OvsdbCounters {
  std::uint64_t connects = 0, connect_failures = 0, disconnects = 0;
  std::uint64_t updates = 0;   // monitor replies and update notifications applied
  std::uint64_t rejected = 0;  // messages or streams refused as malformed or too large
  std::uint64_t timeouts = 0;  // the server silent past the timeout (a monitor or an echo)
};

// The one connection to ovsdb-server (RFC 7047 JSON-RPC on its unix socket), owned by a thread of
// its own: a scrape only reads the snapshot, so a wedged server never holds one. The thread
// monitors the tables the links collector reads, so changes arrive as they happen and nothing is
// read per scrape; when the server is silent for `timeout` it sends an echo, and a server that
// does not answer one (or the monitor) within `timeout` more is dropped and reconnected to, with
// backoff. A socket that does not exist is a host without Open vSwitch: looked for again every
// 10 s, never an error.
class OvsdbClient {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::string socket = "/run/openvswitch/db.sock";
    std::chrono::milliseconds timeout{5000};
  };
  explicit OvsdbClient(Options o);
  ~OvsdbClient();  // stops the thread within its bound
  OvsdbClient(const OvsdbClient&) = delete;
  OvsdbClient& operator=(const OvsdbClient&) = delete;

  void start();  // once; later calls do nothing
  void stop();   // signals only
  bool join(Clock::time_point deadline);

  std::shared_ptr<const OvsdbSnapshot> snapshot() const;
  OvsdbCounters counters() const;
  const Options& options() const { return options_; }

  struct Shared;

 private:
  Options options_;
  std::shared_ptr<Shared> s_;
};

}  // namespace virtnet
