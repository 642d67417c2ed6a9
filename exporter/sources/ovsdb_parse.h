#pragma once

// Open vSwitch's database as the links collector reads it: RFC 7047 JSON-RPC from ovsdb-server's
// unix socket, parsed into the rows of the tables it monitors. Pure: bytes in, rows and the bytes
// to answer out; the socket is the OVSDB source's (ovsdb_client.h).

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace virtnet::ovsdb {

// An Interface row: a port's device (a tap, an internal port, a patch, a tunnel...).
struct Interface {
  std::string name;
  std::string type;  // "" (a system device), internal, patch, vxlan, geneve, gre, dpdk, ...
  std::map<std::string, std::string> options;            // remote_ip, local_ip, key, dst_port, peer
  std::map<std::string, std::string> external_ids;       // iface-id, attached-mac, vm-uuid
  std::optional<std::int64_t> mtu, mtu_request, ofport;  // unset: the column is empty
  std::optional<std::string> error;                      // why OVS could not add it
};

struct Port {
  std::string name;
  std::vector<std::string> interfaces;  // Interface uuids
};

struct Bridge {
  std::string name;
  std::string datapath_type;       // "" or system (the kernel's), netdev (userspace)
  std::vector<std::string> ports;  // Port uuids
};

// The monitored rows, by uuid, and the Open_vSwitch row's external_ids (ovn-encap-type,
// ovn-encap-ip, system-id).
struct Database {
  std::map<std::string, std::string> external_ids;
  std::map<std::string, Bridge> bridges;
  std::map<std::string, Port> ports;
  std::map<std::string, Interface> interfaces;
};

// The bound on one message from the server: a database of thousands of ports is a few MB.
inline constexpr std::size_t kMaxMessageBytes = 16u << 20;
// The bound on a message's nesting: OVSDB's deepest value (a map's pair of uuids in a row of a
// table update of a notification) is 10 deep.
inline constexpr int kMaxDepth = 16;

// Cuts a stream of back-to-back JSON texts (RFC 7047 has no other framing) into messages.
class Splitter {
 public:
  // Appends bytes read; throws ParseError on a message past kMaxMessageBytes or bytes that
  // cannot begin one (the connection is then beyond repair).
  void feed(std::string_view bytes);
  // The next whole message, if one is complete.
  std::optional<std::string> next();

 private:
  std::string buf_;
  std::size_t start_ = 0;    // where the message being scanned begins in buf_
  std::size_t scanned_ = 0;  // bytes of buf_ already scanned for its end
  int depth_ = 0;
  bool in_string_ = false, escaped_ = false;
};

// What a message from the server was, once applied.
enum class MessageKind {
  kMonitorReply,  // the reply to our monitor: the whole database
  kUpdate,        // an "update" notification: what changed
  kEcho,          // the server's keepalive: `answer` holds our reply
  kEchoReply,     // the reply to our own echo
  kOther,         // anything else (ignored)
};

struct Applied {
  MessageKind kind = MessageKind::kOther;
  std::string answer;  // bytes to write back, if any
};

// The monitor request for the tables and columns above, with JSON-RPC id `id`.
std::string monitor_request(std::int64_t id);
// An echo request (our own keepalive) with id `id`.
std::string echo_request(std::int64_t id);

// Applies one message (a JSON text from the Splitter) to `db`: the monitor reply (id
// `monitor_id`) replaces it, an update changes it. Throws ParseError on malformed JSON, a
// nesting past kMaxDepth, an error reply to the monitor, or rows of the wrong shape; `db` is
// then unchanged.
Applied apply_message(std::string_view message, std::int64_t monitor_id, Database& db);

}  // namespace virtnet::ovsdb
