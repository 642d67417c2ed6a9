#include "exporter/sources/ovsdb_client.h"

#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

#include "exporter/common/logging.h"

namespace virtnet {

struct OvsdbClient::Shared {
  explicit Shared(OvsdbClient::Options o) : options(std::move(o)) {
    snap = std::make_shared<OvsdbSnapshot>();
    wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
  ~Shared() {
    if (wake >= 0) close(wake);
  }
  const OvsdbClient::Options options;
  int wake = -1;  // stop() writes to it: the thread's poll returns
  mutable std::mutex mu;
  std::condition_variable cv;
  bool started = false, stopping = false, finished = false;
  std::shared_ptr<const OvsdbSnapshot> snap;
  OvsdbCounters counters;
};

namespace {

using Clock = OvsdbClient::Clock;
using std::chrono::milliseconds;

constexpr std::int64_t kMonitorId = 1;
constexpr milliseconds kLookAgain{10000};  // for a socket that does not exist yet
constexpr milliseconds kMaxBackoff{10000};
constexpr std::size_t kReadBytes = 64 * 1024;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// One connection's life; returns why it ended ("" when told to stop).
class Session {
 public:
  Session(const std::shared_ptr<OvsdbClient::Shared>& s, int fd) : s_(s), fd_(fd) {}

  std::string run() {
    out_ = ovsdb::monitor_request(kMonitorId);
    const milliseconds timeout = s_->options.timeout;
    Clock::time_point heard = Clock::now();  // the monitor must answer within the timeout
    std::optional<Clock::time_point> echo_sent;
    std::int64_t next_id = kMonitorId + 1;
    for (;;) {
      const auto now = Clock::now();
      if (!synced_ && now - heard >= timeout) return timed_out("the monitor");
      if (echo_sent && now - *echo_sent >= timeout) return timed_out("an echo");
      if (synced_ && !echo_sent && now - heard >= timeout) {
        out_ += ovsdb::echo_request(next_id++);
        echo_sent = now;
      }
      const auto due = echo_sent ? *echo_sent + timeout : heard + timeout;
      const auto wait = std::chrono::ceil<milliseconds>(std::max(due - now, Clock::duration{0}));
      pollfd p[2] = {{fd_, static_cast<short>(POLLIN | (out_.empty() ? 0 : POLLOUT)), 0},
                     {s_->wake, POLLIN, 0}};
      const int n = poll(p, 2, static_cast<int>(wait.count()) + 1);
      if (n < 0 && errno != EINTR) return std::string("poll: ") + std::strerror(errno);
      if (stopping()) return "";
      if (n <= 0) continue;
      if (p[0].revents & POLLOUT) {
        const ssize_t w = send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
          return std::string("write: ") + std::strerror(errno);
        }
        if (w > 0) out_.erase(0, static_cast<std::size_t>(w));
      }
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[kReadBytes];
        const ssize_t r = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (r == 0) return "ovsdb-server closed the connection";
        if (r < 0) {
          if (errno == EAGAIN || errno == EINTR) continue;
          return std::string("read: ") + std::strerror(errno);
        }
        heard = Clock::now();
        echo_sent.reset();  // any message shows the server alive
        try {
          if (!take(std::string_view(buf, static_cast<std::size_t>(r)))) return "";
        } catch (const std::exception& e) {  // ParseError, or a message past the memory left
          std::lock_guard lk(s_->mu);
          ++s_->counters.rejected;
          return e.what();
        }
      }
    }
  }

 private:
  bool stopping() const {
    std::lock_guard lk(s_->mu);
    return s_->stopping;
  }

  std::string timed_out(const char* what) {
    std::lock_guard lk(s_->mu);
    ++s_->counters.timeouts;
    return fmt::format("ovsdb-server did not answer {} within {} ms", what,
                       s_->options.timeout.count());
  }

  // The bytes of one read: each whole message applied, the answers queued, the database
  // published when it changed. False when told to stop.
  bool take(std::string_view bytes) {
    splitter_.feed(bytes);
    bool changed = false;
    while (auto m = splitter_.next()) {
      auto applied = ovsdb::apply_message(*m, kMonitorId, db_);
      out_ += applied.answer;
      if (applied.kind == ovsdb::MessageKind::kMonitorReply) synced_ = true;
      if (applied.kind == ovsdb::MessageKind::kMonitorReply ||
          applied.kind == ovsdb::MessageKind::kUpdate) {
        changed = true;
        std::lock_guard lk(s_->mu);
        ++s_->counters.updates;
      }
    }
    if (changed && synced_) {
      auto snap = std::make_shared<OvsdbSnapshot>();
      snap->present = snap->connected = true;
      snap->db = std::make_shared<const ovsdb::Database>(db_);
      std::lock_guard lk(s_->mu);
      s_->snap = std::move(snap);
    }
    return !stopping();
  }

  std::shared_ptr<OvsdbClient::Shared> s_;
  int fd_;
  std::string out_;
  ovsdb::Splitter splitter_;
  ovsdb::Database db_;
  bool synced_ = false;
};

// Sleeps `d` or until stopped; false if stopped.
bool pause(const OvsdbClient::Shared& s, milliseconds d) {
  pollfd p{s.wake, POLLIN, 0};
  poll(&p, 1, static_cast<int>(d.count()));
  std::lock_guard lk(s.mu);
  return !s.stopping;
}

// Keeps what is known of the database, marked as not current.
void publish_down(OvsdbClient::Shared& s, bool present, const std::string& error) {
  std::lock_guard lk(s.mu);
  auto snap = std::make_shared<OvsdbSnapshot>(*s.snap);
  snap->present = present;
  snap->connected = false;
  snap->error = error;
  s.snap = std::move(snap);
}

void run(std::shared_ptr<OvsdbClient::Shared> s) {
  pthread_setname_np(pthread_self(), "vt-ovsdb");
  milliseconds backoff{100};
  std::string logged;  // the last failure logged: each is logged once until a connection works
  auto failed = [&](bool present, const std::string& why) {
    if (why != logged) {
      log_warn("ovsdb: " + why + "; retrying", {{"socket", s->options.socket}});
      logged = why;
    }
    publish_down(*s, present, why);
  };
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const bool fits = s->options.socket.size() < sizeof addr.sun_path;
  if (fits) std::memcpy(addr.sun_path, s->options.socket.c_str(), s->options.socket.size() + 1);
  while (true) {
    {
      std::lock_guard lk(s->mu);
      if (s->stopping) break;
    }
    if (!fits) {
      failed(true, "the socket path is too long");
      if (!pause(*s, kMaxBackoff)) break;
      continue;
    }
    Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      const int err = errno;
      if (err == ENOENT) {  // no Open vSwitch here (yet): nothing to report
        publish_down(*s, false, "");
        if (!pause(*s, kLookAgain)) break;
        continue;
      }
      {
        std::lock_guard lk(s->mu);
        ++s->counters.connect_failures;
      }
      failed(true, std::string("connect: ") + std::strerror(err));
      if (!pause(*s, backoff)) break;
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    {
      std::lock_guard lk(s->mu);
      ++s->counters.connects;
    }
    Session session(s, fd.get());
    const std::string why = session.run();
    if (why.empty()) break;  // stopping
    {
      std::lock_guard lk(s->mu);
      ++s->counters.disconnects;
      if (s->snap->connected) {
        logged.clear();  // it worked: the next failure is news
        backoff = milliseconds{100};
      }
    }
    failed(true, why);
    if (!pause(*s, backoff)) break;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  std::lock_guard lk(s->mu);
  s->finished = true;
  s->cv.notify_all();
}

}  // namespace

OvsdbClient::OvsdbClient(Options o)
    : options_(std::move(o)), s_(std::make_shared<Shared>(options_)) {}

OvsdbClient::~OvsdbClient() {
  stop();
  join(Clock::now() + std::chrono::seconds(2));
}

void OvsdbClient::start() {
  {
    std::lock_guard lk(s_->mu);
    if (s_->started) return;
    s_->started = true;
  }
  std::thread([s = s_] { run(s); }).detach();  // owns what it uses: s
}

void OvsdbClient::stop() {
  std::lock_guard lk(s_->mu);
  s_->stopping = true;
  const std::uint64_t one = 1;
  if (s_->wake >= 0) {
    const ssize_t n = write(s_->wake, &one, sizeof one);  // a full counter wakes it as well
    (void)n;
  }
  s_->cv.notify_all();
}

bool OvsdbClient::join(Clock::time_point deadline) {
  std::unique_lock lk(s_->mu);
  return !s_->started || s_->cv.wait_until(lk, deadline, [&] { return s_->finished; });
}

std::shared_ptr<const OvsdbSnapshot> OvsdbClient::snapshot() const {
  std::lock_guard lk(s_->mu);
  return s_->snap;
}

OvsdbCounters OvsdbClient::counters() const {
  std::lock_guard lk(s_->mu);
  return s_->counters;
}

}  // namespace virtnet
