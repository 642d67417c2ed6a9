#include "collectors/vrrp/vrrp_capture.h"

#include <dlfcn.h>
#include <pcap/pcap.h>

#include <stdexcept>
#include <type_traits>

namespace virtnet::vrrp {

namespace {

// libpcap is opened when the first capture starts, not linked: Debian's pulls in D-Bus, systemd
// and libgcrypt, 1.4 MiB of resident memory that an exporter without the vrrp collector would
// carry for nothing (measured with a program that only links it).
struct PcapLib {
  decltype(&::pcap_create) create = nullptr;
  decltype(&::pcap_set_snaplen) set_snaplen = nullptr;
  decltype(&::pcap_set_immediate_mode) set_immediate_mode = nullptr;
  decltype(&::pcap_set_buffer_size) set_buffer_size = nullptr;
  decltype(&::pcap_activate) activate = nullptr;
  decltype(&::pcap_geterr) geterr = nullptr;
  decltype(&::pcap_close) close = nullptr;
  decltype(&::pcap_set_datalink) set_datalink = nullptr;
  decltype(&::pcap_datalink) datalink = nullptr;
  decltype(&::pcap_compile) compile = nullptr;
  decltype(&::pcap_setfilter) setfilter = nullptr;
  decltype(&::pcap_freecode) freecode = nullptr;
  decltype(&::pcap_setnonblock) setnonblock = nullptr;
  decltype(&::pcap_get_selectable_fd) get_selectable_fd = nullptr;
  decltype(&::pcap_dispatch) dispatch = nullptr;
  decltype(&::pcap_stats) stats = nullptr;
};

const PcapLib& lib() {
  static const PcapLib loaded = [] {
    PcapLib t;
    void* h = ::dlopen("libpcap.so.0.8", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      throw std::runtime_error(std::string("cannot load libpcap (Debian's libpcap0.8): ") +
                               ::dlerror());
    }
    auto load = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(h, name));
      if (fn == nullptr) throw std::runtime_error(std::string("libpcap has no ") + name);
    };
    load(t.create, "pcap_create");
    load(t.set_snaplen, "pcap_set_snaplen");
    load(t.set_immediate_mode, "pcap_set_immediate_mode");
    load(t.set_buffer_size, "pcap_set_buffer_size");
    load(t.activate, "pcap_activate");
    load(t.geterr, "pcap_geterr");
    load(t.close, "pcap_close");
    load(t.set_datalink, "pcap_set_datalink");
    load(t.datalink, "pcap_datalink");
    load(t.compile, "pcap_compile");
    load(t.setfilter, "pcap_setfilter");
    load(t.freecode, "pcap_freecode");
    load(t.setnonblock, "pcap_setnonblock");
    load(t.get_selectable_fd, "pcap_get_selectable_fd");
    load(t.dispatch, "pcap_dispatch");
    load(t.stats, "pcap_stats");
    return t;
  }();
  return loaded;
}

// libpcap's compiler, not frame offsets: it handles the cooked header and VLAN metadata.
constexpr const char* kFilter = "ip proto 112 or ip6 proto 112 or ip proto 51 or ip6 proto 51";

struct Ctx {
  const std::function<void(std::span<const std::uint8_t>, double)>* f;
};

void on_frame(u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
  auto* ctx = reinterpret_cast<Ctx*>(user);
  const double when = static_cast<double>(h->ts.tv_sec) + static_cast<double>(h->ts.tv_usec) / 1e6;
  (*ctx->f)(std::span<const std::uint8_t>(bytes, h->caplen), when);
}

}  // namespace

Capture::Capture() {
  char err[PCAP_ERRBUF_SIZE] = {};
  p_ = lib().create("any", err);
  if (p_ == nullptr) throw std::runtime_error(std::string("pcap: ") + err);
  auto fail = [&](const std::string& what) {
    const std::string why = what + ": " + lib().geterr(p_);
    lib().close(p_);
    p_ = nullptr;
    throw std::runtime_error(why);
  };
  // An advertisement is < 100 bytes with headers; 255 addresses of IPv6 would be 4 KB.
  lib().set_snaplen(p_, 4200);
  lib().set_immediate_mode(p_, 1);  // the capture time is what is measured, not the delivery
  lib().set_buffer_size(p_, 1 << 20);
  if (const int rc = lib().activate(p_); rc < 0) {
    const std::string why =
        std::string("pcap_activate(any): ") +
        (rc == PCAP_ERROR_PERM_DENIED ? "permission denied (needs CAP_NET_RAW)" : lib().geterr(p_));
    lib().close(p_);
    p_ = nullptr;
    throw std::runtime_error(why);
  }
  // The interface index is in SLL2 only (libpcap >= 1.10); otherwise every frame is "any".
  lib().set_datalink(p_, DLT_LINUX_SLL2);
  switch (lib().datalink(p_)) {
    case DLT_LINUX_SLL2:
      link_ = LinkType::kLinuxSll2;
      break;
    case DLT_LINUX_SLL:
      link_ = LinkType::kLinuxSll;
      break;
    default:
      fail("unexpected link type");
  }
  bpf_program prog{};
  if (lib().compile(p_, &prog, kFilter, 1, PCAP_NETMASK_UNKNOWN) < 0) fail("pcap_compile");
  const int rc = lib().setfilter(p_, &prog);
  lib().freecode(&prog);
  if (rc < 0) fail("pcap_setfilter");
  if (lib().setnonblock(p_, 1, err) < 0) fail("pcap_setnonblock");
  fd_ = lib().get_selectable_fd(p_);
  if (fd_ < 0) fail("pcap_get_selectable_fd");
}

Capture::~Capture() {
  if (p_ != nullptr) lib().close(p_);
}

bool Capture::dispatch(const std::function<void(std::span<const std::uint8_t>, double)>& f) {
  Ctx ctx{&f};
  const int n = lib().dispatch(p_, -1, on_frame, reinterpret_cast<u_char*>(&ctx));
  if (n == PCAP_ERROR) {
    error_ = std::string("pcap_dispatch: ") + lib().geterr(p_);
    return false;
  }
  return true;
}

std::uint64_t Capture::dropped() {
  pcap_stat st{};
  if (lib().stats(p_, &st) < 0) return 0;
  return static_cast<std::uint64_t>(st.ps_drop) + st.ps_ifdrop;
}

}  // namespace virtnet::vrrp
