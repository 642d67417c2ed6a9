#include "exporter/scrape/capabilities.h"

#include <cap-ng.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "exporter/scrape/collector.h"

namespace virtnet {

namespace {

class CapabilityGate : public Collector {
 public:
  CapabilityGate(std::unique_ptr<Collector> inner, std::vector<CapabilityNeed> needs)
      : inner_(std::move(inner)), needs_(std::move(needs)) {}
  std::string_view name() const override { return inner_->name(); }
  void start() override {
    try {
      inner_->start();
    } catch (const std::exception& e) {
      // A socket refused for want of a capability: say which (the start failure is the reason
      // shown for as long as the collector is configured).
      const std::string missing = missing_capabilities(needs_);
      if (missing.empty()) throw;
      throw std::runtime_error(missing + ": " + e.what());
    }
  }
  void stop() override { inner_->stop(); }
  // Passed on too: without it a wrapped collector's threads were joined only when it was freed,
  // each against a bound of its own.
  bool join(std::chrono::steady_clock::time_point deadline) override {
    return inner_->join(deadline);
  }
  CollectStatus collect(MetricSink& out) override {
    // One capget per scrape, on the collector's own thread, whose set it is. Given first, the
    // missing capability is the reason shown, not the EPERM it causes inside the collector.
    const std::string missing = missing_capabilities(needs_);
    if (!missing.empty()) out.fail(missing);
    const CollectStatus s = inner_->collect(out);
    return missing.empty() ? s : CollectStatus::kError;
  }

 private:
  std::unique_ptr<Collector> inner_;
  std::vector<CapabilityNeed> needs_;
};

}  // namespace

bool has_capability(int cap) {
  // capget on the calling thread (pid 0): one system call. libcap-ng's capng_get_caps_process
  // would also read /proc/self/status for the bounding and ambient sets, at every scrape.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (::syscall(SYS_capget, &header, data) != 0 || cap < 0 || cap / 32 >= 2) return false;
  return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

std::string capability_name(int cap) {
  const char* n = capng_capability_to_name(static_cast<unsigned>(cap));
  std::string s = "CAP_";
  for (const char* p = n ? n : "unknown"; *p; ++p) {
    s += static_cast<char>(std::toupper(static_cast<unsigned char>(*p)));
  }
  return s;
}

std::string missing_capabilities(const std::vector<CapabilityNeed>& needs) {
  std::string out;
  for (const auto& n : needs) {
    if (has_capability(n.cap)) continue;
    out += (out.empty() ? "missing " : ", ") + capability_name(n.cap) + " (" + n.why + ")";
  }
  return out;
}

void run_as(const std::string& user, const std::vector<int>& keep) {
  if (::geteuid() != 0) {
    throw std::runtime_error("--run-as " + user + ": needs to be started as root");
  }
  passwd pw{};
  passwd* found = nullptr;
  std::string buf(16384, '\0');
  const int rc = getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || !found) {
    throw std::runtime_error("--run-as " + user + ": no such user" +
                             (rc ? std::string(": ") + std::strerror(rc) : ""));
  }
  if (pw.pw_uid == 0) {
    throw std::runtime_error("--run-as " + user + ": is root; name an unprivileged user");
  }
  capng_clear(CAPNG_SELECT_BOTH);
  for (int cap : keep) {
    capng_update(CAPNG_ADD, static_cast<capng_type_t>(CAPNG_EFFECTIVE | CAPNG_PERMITTED),
                 static_cast<unsigned>(cap));
  }
  // Its groups (initgroups): an operator may add the user to libvirt's group for the socket.
  const int changed =
      capng_change_id(static_cast<int>(pw.pw_uid), static_cast<int>(pw.pw_gid),
                      static_cast<capng_flags_t>(CAPNG_INIT_SUPP_GRP | CAPNG_CLEAR_BOUNDING));
  if (changed != 0) {
    throw std::runtime_error("--run-as " + user + ": cannot change to it (libcap-ng error " +
                             std::to_string(changed) + ")");
  }
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (::getuid() != pw.pw_uid || ::geteuid() != pw.pw_uid || ::getegid() != pw.pw_gid) {
    throw std::runtime_error("--run-as " + user + ": the user did not change");
  }
}

std::unique_ptr<Collector> gate_on_capabilities(std::unique_ptr<Collector> c,
                                                std::vector<CapabilityNeed> needs) {
  if (needs.empty()) return c;
  return std::make_unique<CapabilityGate>(std::move(c), std::move(needs));
}

}  // namespace virtnet
