#include "collectors/sockstat/sockstat_collector.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "collectors/sockstat/sock_diag_parse.h"
#include "collectors/sockstat/sockstat_parse.h"
#include "exporter/common/logging.h"
#include "exporter/common/parse_error.h"
#include "exporter/sources/sock_diag.h"

namespace virtnet::sockstat {

namespace {

constexpr auto kSocketsUsed = MetricDef::gauge(
    "virtnet_sockstat_sockets_used", "Sockets in use, all families and protocols (sockets: used).");
constexpr auto kFragQueues =
    MetricDef::gauge("virtnet_sockstat_fragment_queues", "IP fragment reassembly queues in use.");
constexpr auto kFragMemory = MetricDef::gauge("virtnet_sockstat_fragment_memory_bytes",
                                              "Memory used by IP fragment reassembly.");
constexpr auto kInuse = MetricDef::gauge("virtnet_sockstat_sockets_inuse",
                                         "Sockets in use by protocol and address family.");
constexpr auto kOrphans =
    MetricDef::gauge("virtnet_sockstat_tcp_orphans", "TCP sockets no longer attached to a file.");
constexpr auto kTimeWait = MetricDef::gauge("virtnet_sockstat_tcp_time_wait_sockets",
                                            "TCP sockets in TIME_WAIT (sockstat).");
constexpr auto kAllocated =
    MetricDef::gauge("virtnet_sockstat_tcp_allocated_sockets", "TCP sockets allocated.");
constexpr auto kMemory =
    MetricDef::gauge("virtnet_sockstat_memory_bytes", "Memory used by sockets of a protocol.");
constexpr auto kTcpMemLimit = MetricDef::gauge("virtnet_sockstat_tcp_memory_limit_bytes",
                                               "net.ipv4.tcp_mem thresholds, as bytes.");
constexpr auto kOrphansLimit =
    MetricDef::gauge("virtnet_sockstat_tcp_orphans_limit", "net.ipv4.tcp_max_orphans.");
constexpr auto kFilesAllocated = MetricDef::gauge("virtnet_sockstat_file_handles_allocated",
                                                  "Allocated file handles (fs.file-nr).");
constexpr auto kFilesLimit =
    MetricDef::gauge("virtnet_sockstat_file_handles_limit", "Maximum file handles (fs.file-max).");
constexpr auto kTcpSockets =
    MetricDef::gauge("virtnet_sockstat_tcp_sockets", "TCP sockets by state, from sock_diag.");
constexpr auto kTcpPeers =
    MetricDef::gauge("virtnet_sockstat_tcp_peer_sockets",
                     "TCP sockets by state for the top remote addresses of each state.");

struct PeerKey {
  std::uint8_t family;
  std::uint8_t state;
  std::array<std::uint8_t, 16> addr;
  bool operator==(const PeerKey&) const = default;
};

struct PeerKeyHash {
  std::size_t operator()(const PeerKey& k) const {
    std::size_t h = static_cast<std::size_t>(k.family) * 131u + k.state;
    for (auto b : k.addr) h = h * 1099511628211ull + b;
    return h;
  }
};

std::string_view family_label(std::uint8_t family) { return family == AF_INET6 ? "ipv6" : "ipv4"; }

class SockstatCollector : public Collector {
 public:
  SockstatCollector(const CollectorOptions& opts, const Sources& src)
      : proc_(src.proc),
        page_size_(static_cast<double>(src.page_size)),
        tcp_states_(opts.get_bool("tcp_states")),
        tcp_peers_(opts.get_bool("tcp_peers")),
        top_n_(static_cast<std::size_t>(opts.get_int("tcp_peers_top_n"))) {
    if (tcp_states_ && src.make_sock_diag) diag_ = src.make_sock_diag();
  }

  std::string_view name() const override { return "sockstat"; }

  CollectStatus collect(MetricSink& out) override {
    out_ = &out;
    failed_ = false;
    any_ = false;
    if (auto t = read("net/sockstat")) emit_sockstat(out, *t, "ipv4");
    if (auto t = read("net/sockstat6")) emit_sockstat(out, *t, "ipv6");
    emit_limits(out);
    if (diag_) emit_tcp_states(out);
    out_ = nullptr;
    if (failed_) return CollectStatus::kError;  // logged by the scraper when it changes
    return any_ ? CollectStatus::kOk : CollectStatus::kNoData;
  }

 private:
  // Absent files (IPv6 disabled, an older kernel) are silently skipped; anything else fails the
  // collector for this scrape but the rest is still exported.
  std::optional<std::string> read(std::string_view rel) {
    auto r = proc_.read(rel, 1 << 20);
    if (r.status == ReadStatus::kOk) return std::move(r.data);
    if (r.status != ReadStatus::kAbsent) {
      fail("cannot read " + proc_.path(rel) + ": " + std::strerror(r.error));
    }
    return std::nullopt;
  }

  // Every failure of this scrape is given to the sink; the rest is still exported.
  void fail(const std::string& why) {
    failed_ = true;
    out_->fail(why);
  }

  template <typename F>
  void parse_guarded(std::string_view rel, F&& f) {
    auto text = read(rel);
    if (!text) return;
    try {
      f(*text);
      any_ = true;
    } catch (const ParseError& e) {
      fail(proc_.path(rel) + ": " + e.what());
    }
  }

  void emit_sockstat(MetricSink& out, const std::string& text, std::string_view family) {
    std::vector<SockstatLine> lines;
    try {
      lines = parse_sockstat(text);
    } catch (const ParseError& e) {
      fail(std::string(family == "ipv4" ? "net/sockstat: " : "net/sockstat6: ") + e.what());
      return;
    }
    any_ = true;
    const std::string fam(family);
    for (const auto& line : lines) {
      std::string proto = line.protocol;
      std::transform(proto.begin(), proto.end(), proto.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (family == "ipv6" && !proto.empty() && proto.back() == '6') proto.pop_back();
      for (const auto& [key, value] : line.fields) {
        const auto v = static_cast<double>(value);
        if (proto == "sockets" && key == "used") {
          out.add(kSocketsUsed, v);
        } else if (proto == "frag" && key == "inuse") {
          out.add(kFragQueues, v, {{"family", fam}});
        } else if (proto == "frag" && key == "memory") {
          out.add(kFragMemory, v, {{"family", fam}});
        } else if (key == "inuse") {
          out.add(kInuse, v, {{"protocol", proto}, {"family", fam}});
        } else if (proto == "tcp" && key == "orphan") {
          out.add(kOrphans, v);
        } else if (proto == "tcp" && key == "tw") {
          out.add(kTimeWait, v);
        } else if (proto == "tcp" && key == "alloc") {
          out.add(kAllocated, v);
        } else if (key == "mem") {
          // sockstat's mem is in pages; compare with tcp_mem (also pages, exported as bytes).
          out.add(kMemory, v * page_size_, {{"protocol", proto}});
        }
      }
    }
  }

  void emit_limits(MetricSink& out) {
    parse_guarded("sys/net/ipv4/tcp_mem", [&](const std::string& t) {
      auto m = parse_tcp_mem(t);
      out.add(kTcpMemLimit, static_cast<double>(m.min_pages) * page_size_, {{"threshold", "min"}});
      out.add(kTcpMemLimit, static_cast<double>(m.pressure_pages) * page_size_,
              {{"threshold", "pressure"}});
      out.add(kTcpMemLimit, static_cast<double>(m.max_pages) * page_size_, {{"threshold", "max"}});
    });
    parse_guarded("sys/net/ipv4/tcp_max_orphans", [&](const std::string& t) {
      out.add(kOrphansLimit, static_cast<double>(parse_single_u64(t, "tcp_max_orphans")));
    });
    parse_guarded("sys/fs/file-nr", [&](const std::string& t) {
      out.add(kFilesAllocated, static_cast<double>(parse_file_nr(t).allocated));
    });
    parse_guarded("sys/fs/file-max", [&](const std::string& t) {
      out.add(kFilesLimit, static_cast<double>(parse_single_u64(t, "file-max")));
    });
  }

  void emit_tcp_states(MetricSink& out) {
    std::array<std::array<std::uint64_t, kMaxTcpState + 1>, 2> counts{};
    std::unordered_map<PeerKey, std::uint64_t, PeerKeyHash> peers;
    bool failed = false;
    for (int family : {AF_INET, AF_INET6}) {
      auto on_socket = [&](const InetDiagEntry& e) {
        if (e.state == 0 || e.state > kMaxTcpState) return;
        ++counts[e.family == AF_INET6][e.state];
        if (tcp_peers_ && e.state != 10 /* LISTEN: no peer */) {
          ++peers[PeerKey{e.family, e.state, e.dst}];
        }
      };
      try {
        diag_->dump_tcp(family, [&](std::string_view chunk) {
          auto p = parse_inet_diag_chunk(chunk, on_socket);
          if (p.error != 0 && !(family == AF_INET6 && p.error == -ENOENT)) {
            throw std::runtime_error(std::string("sock_diag: kernel error: ") +
                                     std::strerror(-p.error));
          }
          return p.done;
        });
      } catch (const std::exception& e) {
        fail(e.what());
        failed = true;
        break;
      }
    }
    if (failed) return;  // partial counts would look like a drop to zero
    any_ = true;
    for (std::uint8_t fam : {std::uint8_t{AF_INET}, std::uint8_t{AF_INET6}}) {
      for (std::uint8_t st = 1; st <= 11; ++st) {
        auto n = counts[fam == AF_INET6][st];
        if (st == 3) n += counts[fam == AF_INET6][12];  // request sockets are SYN_RECV to ss
        out.add(kTcpSockets, static_cast<double>(n),
                {{"family", std::string(family_label(fam))},
                 {"state", std::string(tcp_state_name(st))}});
      }
    }
    if (tcp_peers_) emit_top_peers(out, peers);
  }

  void emit_top_peers(MetricSink& out,
                      const std::unordered_map<PeerKey, std::uint64_t, PeerKeyHash>& peers) {
    std::vector<std::pair<const PeerKey*, std::uint64_t>> all;
    all.reserve(peers.size());
    for (const auto& [k, n] : peers) all.emplace_back(&k, n);
    // Group by (family, state), most sockets first; ties by address for a stable output.
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      if (a.first->family != b.first->family) return a.first->family < b.first->family;
      if (a.first->state != b.first->state) return a.first->state < b.first->state;
      if (a.second != b.second) return a.second > b.second;
      return a.first->addr < b.first->addr;
    });
    std::size_t rank = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (i > 0 && (all[i].first->family != all[i - 1].first->family ||
                    all[i].first->state != all[i - 1].first->state)) {
        rank = 0;
      }
      if (rank++ >= top_n_) continue;
      const auto& k = *all[i].first;
      std::uint8_t st = k.state == 12 ? 3 : k.state;
      out.add(kTcpPeers, static_cast<double>(all[i].second),
              {{"family", std::string(family_label(k.family))},
               {"state", std::string(tcp_state_name(st))},
               {"peer", format_address(k.family, k.addr)}});
    }
  }

  FsRoot proc_;
  double page_size_;
  bool tcp_states_, tcp_peers_;
  std::size_t top_n_;
  std::unique_ptr<SockDiagSource> diag_;
  MetricSink* out_ = nullptr;  // during collect()
  bool failed_ = false, any_ = false;
};

}  // namespace

CollectorInfo sockstat_info() {
  return {
      "sockstat",
      "Socket counts and memory (/proc/net/sockstat{,6}), their limits, and TCP sockets by state "
      "(sock_diag).",
      true,
      {
          OptionSpec::boolean("tcp_states", true,
                              "Count TCP sockets by state through netlink sock_diag."),
          OptionSpec::boolean("tcp_peers", false,
                              "Also break TCP state counts down by the top remote addresses."),
          OptionSpec::integer("tcp_peers_top_n", 5, 1, 50,
                              "How many remote addresses per (family, state) with tcp_peers."),
      },
      [](const CollectorOptions& o, const Sources& s) -> std::unique_ptr<Collector> {
        return std::make_unique<SockstatCollector>(o, s);
      },
      {},  // no capabilities needed
      {kSocketsUsed, kFragQueues, kFragMemory, kInuse, kOrphans, kTimeWait, kAllocated, kMemory,
       kTcpMemLimit, kOrphansLimit, kFilesAllocated, kFilesLimit, kTcpSockets, kTcpPeers},
      sockstat_conditions(),
  };
}

}  // namespace virtnet::sockstat
