// vrrp_flood INTERFACE SOURCES RATE SECONDS [valid|random]: sends VRRPv2 advertisements from
// SOURCES spoofed (source, VRID) pairs at RATE frames a second for SECONDS, through an AF_PACKET
// socket on INTERFACE (a veth of the test's own namespace), as a tenant flooding a hypervisor's
// capture would. "valid": well-formed advertisements (checksums right, TTL 255, to 224.0.0.18);
// "random": IPv4 protocol 112 with random payloads. The Ethernet destination is a foreign
// unicast address: the capture on the far end sees the frames (an AF_PACKET socket sees frames
// for other hosts too), its IP stack drops them, so that a keepalived there is not flooded.
// Prints what it sent: "sent N frames in S s (R/s)".
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

std::uint16_t checksum(const std::uint8_t* p, std::size_t n) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2)
    sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::vector<std::uint8_t> frame(std::size_t i, bool valid, std::mt19937& rng) {
  std::vector<std::uint8_t> f(14 + 20 + 20, 0);
  const std::uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x99}, src[6] = {0x02, 0, 0, 0, 0, 0x01};
  std::memcpy(f.data(), dst, 6);
  std::memcpy(f.data() + 6, src, 6);
  f[12] = 0x08;
  std::uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  ip[1] = 0xc0;
  ip[3] = 40;  // total length
  ip[4] = static_cast<std::uint8_t>(i >> 8);
  ip[5] = static_cast<std::uint8_t>(i);
  ip[8] = 255;                                                              // TTL
  ip[9] = 112;                                                              // VRRP
  const std::uint32_t s = 0xac100000u + 1 + static_cast<std::uint32_t>(i);  // 172.16.0.1 on
  ip[12] = static_cast<std::uint8_t>(s >> 24);
  ip[13] = static_cast<std::uint8_t>(s >> 16);
  ip[14] = static_cast<std::uint8_t>(s >> 8);
  ip[15] = static_cast<std::uint8_t>(s);
  const std::uint8_t group[4] = {224, 0, 0, 18};
  std::memcpy(ip + 16, group, 4);
  const std::uint16_t ic = checksum(ip, 20);
  ip[10] = static_cast<std::uint8_t>(ic >> 8);
  ip[11] = static_cast<std::uint8_t>(ic);
  std::uint8_t* v = ip + 20;
  if (!valid) {
    for (std::size_t k = 0; k < 20; ++k) v[k] = static_cast<std::uint8_t>(rng());
    return f;
  }
  v[0] = 0x21;                                      // version 2, advertisement
  v[1] = static_cast<std::uint8_t>(100 + i % 100);  // VRID 100-199
  v[2] = 100;                                       // priority
  v[3] = 1;                                         // one address
  v[5] = 1;                                         // 1 s
  const std::uint8_t vip[4] = {192, 0, 2, static_cast<std::uint8_t>(1 + i % 250)};
  std::memcpy(v + 8, vip, 4);
  const std::uint16_t vc = checksum(v, 20);
  v[6] = static_cast<std::uint8_t>(vc >> 8);
  v[7] = static_cast<std::uint8_t>(vc);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: vrrp_flood INTERFACE SOURCES RATE SECONDS [valid|random]\n");
    return 2;
  }
  const unsigned ifindex = if_nametoindex(argv[1]);
  const std::size_t sources = std::strtoul(argv[2], nullptr, 10);
  const double rate = std::strtod(argv[3], nullptr), seconds = std::strtod(argv[4], nullptr);
  const bool valid = argc < 6 || std::string(argv[5]) != "random";
  if (ifindex == 0 || sources == 0 || rate <= 0) {
    std::fprintf(stderr, "vrrp_flood: bad interface, sources or rate\n");
    return 2;
  }
  const int fd = ::socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    std::perror("socket(AF_PACKET)");
    return 1;
  }
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = static_cast<int>(ifindex);
  to.sll_halen = 6;
  std::mt19937 rng(1);
  std::vector<std::vector<std::uint8_t>> frames;
  frames.reserve(sources);
  for (std::size_t i = 0; i < sources; ++i) frames.push_back(frame(i, valid, rng));

  constexpr std::size_t kBatch = 64;
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t sent = 0;
  std::size_t next = 0;
  for (;;) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed >= seconds) break;
    if (static_cast<double>(sent) > elapsed * rate) {  // ahead of the rate: wait a little
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    for (std::size_t k = 0; k < kBatch; ++k) {
      auto& f = frames[next++ % sources];
      iov[k] = {f.data(), f.size()};
      msgs[k].msg_hdr = {};
      msgs[k].msg_hdr.msg_name = &to;
      msgs[k].msg_hdr.msg_namelen = sizeof to;
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::sendmmsg(fd, msgs.data(), kBatch, 0);
    if (n < 0) {
      if (errno == ENOBUFS || errno == EAGAIN) continue;
      std::perror("sendmmsg");
      return 1;
    }
    sent += static_cast<std::uint64_t>(n);
  }
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("sent %llu frames in %.2f s (%.0f/s)\n", static_cast<unsigned long long>(sent), took,
              static_cast<double>(sent) / took);
  return 0;
}
