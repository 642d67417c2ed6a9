#include "exporter/sources/route_lookup.h"

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace virtnet {

namespace {

using Socket = std::unique_ptr<nl_sock, void (*)(nl_sock*)>;

Socket open_socket(int timeout_ms) {
  Socket sk(nl_socket_alloc(), &nl_socket_free);
  if (!sk) throw std::runtime_error("routes: cannot allocate a netlink socket");
  if (int err = nl_connect(sk.get(), NETLINK_ROUTE); err < 0) {
    throw std::runtime_error(std::string("routes: connect: ") + nl_geterror(err));
  }
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(nl_socket_get_fd(sk.get()), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return sk;
}

// Each message of the replies to the request just sent, as f(header); until the dump's end, an
// error, or (not a dump) the first reply. f returns false to stop.
template <typename F>
void for_each_reply(nl_sock* sk, bool dump, F&& f) {
  for (;;) {
    sockaddr_nl peer{};
    unsigned char* raw = nullptr;
    const int n = nl_recv(sk, &peer, &raw, nullptr);
    std::unique_ptr<unsigned char, void (*)(void*)> buf(raw, &std::free);
    if (n <= 0) {
      throw std::runtime_error(std::string("routes: receive: ") +
                               (n == 0 ? "no data (timeout?)" : nl_geterror(n)));
    }
    int left = n;
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.get()); nlmsg_ok(h, left);
         h = nlmsg_next(h, &left)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) return;
      if (!f(h) || !dump) return;
    }
  }
}

// The raw bytes of an address of `family`, or nothing.
std::optional<std::pair<int, std::string>> parse_address(const std::string& text) {
  in6_addr v6{};
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return std::make_pair(AF_INET, std::string(reinterpret_cast<const char*>(&v4), sizeof v4));
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    return std::make_pair(AF_INET6, std::string(reinterpret_cast<const char*>(&v6), sizeof v6));
  }
  return std::nullopt;
}

std::string address_text(int family, const void* bytes) {
  char out[INET6_ADDRSTRLEN] = {};
  if (!inet_ntop(family, bytes, out, sizeof out)) return "";
  return out;
}

}  // namespace

std::string canonical_address(const std::string& text) {
  auto a = parse_address(text);
  return a ? address_text(a->first, a->second.data()) : "";
}

std::map<std::string, int> address_owners(int timeout_ms) {
  Socket sk = open_socket(timeout_ms);
  ifaddrmsg req{};
  req.ifa_family = AF_UNSPEC;
  if (int err = nl_send_simple(sk.get(), RTM_GETADDR, NLM_F_DUMP, &req, sizeof req); err < 0) {
    throw std::runtime_error(std::string("routes: send: ") + nl_geterror(err));
  }
  std::map<std::string, int> out;
  for_each_reply(sk.get(), true, [&](nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWADDR) return true;
    nlattr* tb[IFA_MAX + 1] = {};
    if (nlmsg_parse(h, sizeof(ifaddrmsg), tb, IFA_MAX, nullptr) < 0) return true;
    const auto* m = static_cast<const ifaddrmsg*>(nlmsg_data(h));
    const std::size_t len = m->ifa_family == AF_INET ? 4 : m->ifa_family == AF_INET6 ? 16 : 0;
    // IFA_LOCAL is the address itself on a point-to-point link; IFA_ADDRESS elsewhere.
    for (int type : {IFA_LOCAL, IFA_ADDRESS}) {
      if (len && tb[type] && static_cast<std::size_t>(nla_len(tb[type])) == len) {
        out.emplace(address_text(m->ifa_family, nla_data(tb[type])),
                    static_cast<int>(m->ifa_index));
        break;
      }
    }
    return true;
  });
  return out;
}

std::optional<int> route_device(const std::string& address, int timeout_ms) {
  auto a = parse_address(address);
  if (!a) return std::nullopt;
  Socket sk = open_socket(timeout_ms);
  std::unique_ptr<nl_msg, void (*)(nl_msg*)> msg(nlmsg_alloc_simple(RTM_GETROUTE, 0), &nlmsg_free);
  if (!msg) throw std::runtime_error("routes: cannot allocate a message");
  rtmsg rt{};
  rt.rtm_family = static_cast<unsigned char>(a->first);
  rt.rtm_dst_len = static_cast<unsigned char>(a->second.size() * 8);
  if (nlmsg_append(msg.get(), &rt, sizeof rt, NLMSG_ALIGNTO) < 0 ||
      nla_put(msg.get(), RTA_DST, static_cast<int>(a->second.size()), a->second.data()) < 0) {
    throw std::runtime_error("routes: cannot build the request");
  }
  if (int err = nl_send_auto(sk.get(), msg.get()); err < 0) {
    throw std::runtime_error(std::string("routes: send: ") + nl_geterror(err));
  }
  std::optional<int> out;
  for_each_reply(sk.get(), false, [&](nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWROUTE) return true;
    nlattr* tb[RTA_MAX + 1] = {};
    if (nlmsg_parse(h, sizeof(rtmsg), tb, RTA_MAX, nullptr) < 0) return false;
    if (tb[RTA_OIF] && nla_len(tb[RTA_OIF]) == 4) out = static_cast<int>(nla_get_u32(tb[RTA_OIF]));
    return false;
  });
  return out;
}

}  // namespace virtnet
