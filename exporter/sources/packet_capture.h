#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace virtnet {

// A captured frame with what the kernel knows of it beside the bytes.
struct Frame {
  std::span<const std::uint8_t> bytes;  // from the Ethernet header on
  double when = 0;                      // capture time, Unix seconds (the real-time clock)
  int ifindex = 0;
  std::uint16_t vlan = 0;  // the tag the kernel stripped into metadata; 0: none
  bool outgoing = false;   // sent by this host (on a tap: towards the instance)
};

// One AF_PACKET socket on every interface of the network namespace of the thread that makes it
// (the exporter's, or one entered with run_in_netns), with a kernel filter compiled by libpcap
// from `filter` (an expression for Ethernet frames; "" passes nothing). Needs CAP_NET_RAW.
// The socket, not a libpcap capture, because only the socket's metadata has both the interface and
// the VLAN of each frame.
class PacketCapture {
 public:
  // Throws std::runtime_error saying why ("... Operation not permitted (needs CAP_NET_RAW)").
  explicit PacketCapture(const char* filter);
  ~PacketCapture();
  PacketCapture(const PacketCapture&) = delete;
  PacketCapture& operator=(const PacketCapture&) = delete;

  int fd() const { return fd_; }  // poll() it for POLLIN
  // Replaces the kernel filter; false with error() saying why (the old one stays).
  bool set_filter(const std::string& filter_expression);
  // Hands every waiting Ethernet frame to `f`. False on a socket error, with error() saying why.
  bool dispatch(const std::function<void(const Frame&)>& f);
  // The frames the last dispatch read: a full batch or more means more keep coming.
  std::size_t last_read() const { return last_read_; }
  static constexpr std::size_t kBatch = 32;
  // Frames the kernel dropped because the socket's buffer was full, since the start.
  std::uint64_t dropped();
  const std::string& error() const { return error_; }
  // The interface's name in the socket's own namespace (which may not be the caller's), looked
  // up again after a while as indexes are reused; "ifN" when it is gone.
  const std::string& interface_name(int ifindex, double now);

 private:
  // recvmmsg's batch: kBatch frames of at most kSlot bytes (an advertisement with 255 IPv6
  // addresses and its headers; a longer frame is cut there, and its parser says truncated).
  static constexpr std::size_t kSlot = 4224;
  int fd_ = -1;
  std::uint64_t dropped_ = 0;
  std::size_t last_read_ = 0;
  std::string error_;
  std::unordered_map<int, std::string> names_;
  double names_since_ = 0;
};

}  // namespace virtnet
