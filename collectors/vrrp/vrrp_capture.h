#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "collectors/vrrp/vrrp_parse.h"

typedef struct pcap pcap_t;

namespace virtnet::vrrp {

// A libpcap capture of VRRP (IP protocol 112, and AH that may carry it) on every interface of
// the exporter's network namespace, filtered in the kernel. Needs CAP_NET_RAW.
class Capture {
 public:
  // Throws std::runtime_error with libpcap's reason ("... Operation not permitted").
  Capture();
  ~Capture();
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  int fd() const { return fd_; }  // poll() it for POLLIN
  LinkType link() const { return link_; }
  // Hands every waiting frame to `f` with its capture time (Unix seconds). False on a capture
  // error, with error() saying why.
  bool dispatch(const std::function<void(std::span<const std::uint8_t>, double)>& f);
  // Frames the kernel dropped because the exporter did not read them in time.
  std::uint64_t dropped();
  const std::string& error() const { return error_; }

 private:
  pcap_t* p_ = nullptr;
  int fd_ = -1;
  LinkType link_ = LinkType::kLinuxSll;
  std::string error_;
};

}  // namespace virtnet::vrrp
