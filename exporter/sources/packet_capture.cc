#include "exporter/sources/packet_capture.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/pcap.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "exporter/sources/shared_library.h"

namespace virtnet {

namespace {

// libpcap is opened for each filter it compiles, and closed again, not linked: Debian's pulls in
// D-Bus, systemd and libgcrypt, 1.0 MiB of resident memory (measured with a program that opens
// and closes it) that the exporter would otherwise carry for the rest of its life, to compile a
// filter or two at start-up and one when a vrrp capture's priority sources change (at most once a
// second). Opening and closing it costs 0.7 ms. Only its filter compiler is used.
class PcapLib {
 public:
  PcapLib() {
    lib_.load(open_dead, "pcap_open_dead");
    lib_.load(compile, "pcap_compile");
    lib_.load(geterr, "pcap_geterr");
    lib_.load(freecode, "pcap_freecode");
    lib_.load(close, "pcap_close");
  }

 private:
  SharedLibrary lib_{{"libpcap.so.0.8"}, "libpcap (Debian's libpcap0.8)"};

 public:
  decltype(&::pcap_open_dead) open_dead = nullptr;
  decltype(&::pcap_compile) compile = nullptr;
  decltype(&::pcap_geterr) geterr = nullptr;
  decltype(&::pcap_freecode) freecode = nullptr;
  decltype(&::pcap_close) close = nullptr;
};

// An advertisement is < 100 bytes with its headers; 255 IPv6 addresses would make 4 KB.
constexpr int kSnap = 4200;

// Compiled by libpcap, not hand-written: a tag the kernel stripped is not in the frame the filter
// sees; a tag left in the frame (an inner one of QinQ) needs a `vlan` clause in the expression.
std::vector<sock_filter> compile_filter(const char* filter) {
  // "": nothing passes (libpcap refuses an expression that rejects every packet).
  if (*filter == '\0') return {sock_filter{BPF_RET | BPF_K, 0, 0, 0}};
  const PcapLib lib;
  pcap_t* p = lib.open_dead(DLT_EN10MB, kSnap);
  if (p == nullptr) throw std::runtime_error("pcap_open_dead failed");
  bpf_program prog{};
  if (lib.compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
    const std::string why = std::string("pcap_compile: ") + lib.geterr(p);
    lib.close(p);
    throw std::runtime_error(why);
  }
  // struct bpf_insn and the kernel's struct sock_filter are the same classic BPF instruction.
  static_assert(sizeof(bpf_insn) == sizeof(sock_filter));
  std::vector<sock_filter> out(prog.bf_len);
  std::memcpy(out.data(), prog.bf_insns, prog.bf_len * sizeof(sock_filter));
  lib.freecode(&prog);
  lib.close(p);
  return out;
}

[[noreturn]] void fail(int fd, const std::string& what) {
  const int e = errno;
  if (fd >= 0) ::close(fd);
  std::string why = what + ": " + std::strerror(e);
  if (e == EPERM) why += " (needs CAP_NET_RAW)";
  throw std::runtime_error(why);
}

}  // namespace

PacketCapture::PacketCapture(const char* filter_expression) {
  auto filter = compile_filter(filter_expression);
  // Protocol 0 receives nothing until bind(): the filter is in place before the first frame.
  fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) fail(-1, "socket(AF_PACKET)");
  const sock_fprog fprog{static_cast<unsigned short>(filter.size()), filter.data()};
  if (::setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) < 0) {
    fail(fd_, "SO_ATTACH_FILTER");
  }
  // Frames that do not pass the filter are dropped by the kernel without a copy; what does is
  // read in batches (recvmmsg) into batch_.
  const int one = 1;
  if (::setsockopt(fd_, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) < 0) {
    fail(fd_, "PACKET_AUXDATA");
  }
  if (::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) {
    fail(fd_, "SO_TIMESTAMPNS");
  }
  const int buf = 1 << 20;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);  // best effort
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) fail(fd_, "bind");
}

bool PacketCapture::set_filter(const std::string& filter_expression) {
  try {
    auto filter = compile_filter(filter_expression.c_str());
    // The kernel swaps the program at once: a frame passes the old one or the new one.
    const sock_fprog fprog{static_cast<unsigned short>(filter.size()), filter.data()};
    if (::setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) < 0) {
      error_ = std::string("SO_ATTACH_FILTER: ") + std::strerror(errno);
      return false;
    }
  } catch (const std::exception& e) {
    error_ = e.what();
    return false;
  }
  return true;
}

PacketCapture::~PacketCapture() {
  if (fd_ >= 0) ::close(fd_);
}

bool PacketCapture::dispatch(const std::function<void(const Frame&)>& f) {
  // recvmmsg: one system call for a batch, the per-frame cost a flood makes (one call a frame
  // was most of it). At most a few thousand frames a call, so that a flood cannot keep the thread
  // from its stop signal or its CPU budget.
  // One buffer for every capture a thread reads (a capture per namespace would otherwise each
  // hold its own).
  thread_local std::vector<std::uint8_t> batch(kBatch * kSlot);
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  std::array<sockaddr_ll, kBatch> from{};
  using Control =
      std::array<char, CMSG_SPACE(sizeof(tpacket_auxdata)) + CMSG_SPACE(sizeof(timespec))>;
  alignas(cmsghdr) std::array<Control, kBatch> control{};
  last_read_ = 0;
  for (int round = 0; round < 4096 / static_cast<int>(kBatch); ++round) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      iov[i] = {batch.data() + i * kSlot, kSlot};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = control[i].data();
      msgs[i].msg_hdr.msg_controllen = control[i].size();
    }
    const int n = ::recvmmsg(fd_, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
      error_ = std::string("recvmmsg: ") + std::strerror(errno);
      return false;
    }
    last_read_ += static_cast<std::size_t>(n);
    for (int i = 0; i < n; ++i) {
      const sockaddr_ll& ll = from[static_cast<std::size_t>(i)];
      msghdr& msg = msgs[static_cast<std::size_t>(i)].msg_hdr;
      // Ethernet-framed devices only (lo too): the filter reads Ethernet offsets.
      if (ll.sll_hatype != ARPHRD_ETHER && ll.sll_hatype != ARPHRD_LOOPBACK) continue;
      Frame fr;
      const std::size_t len = msgs[static_cast<std::size_t>(i)].msg_len;
      fr.bytes = std::span<const std::uint8_t>(
          static_cast<const std::uint8_t*>(iov[static_cast<std::size_t>(i)].iov_base),
          std::min(len, kSlot));
      fr.ifindex = ll.sll_ifindex;
      fr.outgoing = ll.sll_pkttype == PACKET_OUTGOING;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
          tpacket_auxdata aux;
          std::memcpy(&aux, CMSG_DATA(c), sizeof aux);
          if (aux.tp_status & TP_STATUS_VLAN_VALID) fr.vlan = aux.tp_vlan_tci & 0x0fff;
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec ts;
          std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
          fr.when = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
        }
      }
      f(fr);
    }
    if (n < static_cast<int>(kBatch)) return true;  // drained
  }
  return true;
}

std::uint64_t PacketCapture::dropped() {
  tpacket_stats st{};
  socklen_t len = sizeof st;
  // The kernel resets its counters on each read: they are added up here.
  if (::getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) dropped_ += st.tp_drops;
  return dropped_;
}

const std::string& PacketCapture::interface_name(int ifindex, double now) {
  if (now - names_since_ > 30 || now < names_since_) {
    names_.clear();
    names_since_ = now;
  }
  auto it = names_.find(ifindex);
  if (it != names_.end()) return it->second;
  ifreq ifr{};
  ifr.ifr_ifindex = ifindex;
  // On this socket: the index is resolved in the socket's namespace.
  std::string name = ::ioctl(fd_, SIOCGIFNAME, &ifr) == 0
                         ? std::string(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ))
                         : "if" + std::to_string(ifindex);
  return names_.emplace(ifindex, std::move(name)).first->second;
}

}  // namespace virtnet
