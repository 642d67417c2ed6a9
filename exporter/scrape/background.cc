#include "exporter/scrape/background.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "exporter/common/logging.h"
#include "exporter/scrape/metric_sink.h"

namespace virtnet {

StopSignal::StopSignal() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

StopSignal::~StopSignal() { ::close(fd_); }

void StopSignal::raise() {
  const std::uint64_t one = 1;
  // Never blocks (non-blocking; the counter cannot reach its maximum this way).
  [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
}

bool StopSignal::raised() const {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

bool StopSignal::sleep_for(std::chrono::milliseconds d) const {
  pollfd p{fd_, POLLIN, 0};
  const auto end = std::chrono::steady_clock::now() + d;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return !raised();
    const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc > 0) return false;
    if (rc == 0) return true;
    if (errno != EINTR) return !raised();
  }
}

BackgroundThread::~BackgroundThread() {
  request_stop();
  join_until(std::chrono::steady_clock::now() + kStopBound);
}

void BackgroundThread::start(Body body) {
  if (s_) throw std::logic_error("background thread " + name_ + " started twice");
  s_ = std::make_shared<Shared>();
  thread_.start("worker", name_, [s = s_, body = std::move(body), name = name_] {
    // Named for top -H and /proc/PID/task/*/comm: "vt-vrrp" (15 bytes at most).
    ::pthread_setname_np(::pthread_self(), ("vt-" + name).substr(0, 15).c_str());
    std::string failure;
    try {
      body(s->stop);
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "unknown exception";
    }
    if (!failure.empty())
      log_error("background worker failed", {{"worker", name}, {"err", failure}});
    std::lock_guard lk(s->mu);
    s->failure = std::move(failure);
  });
}

void BackgroundThread::request_stop() {
  if (s_) s_->stop.raise();
}

bool BackgroundThread::join_until(std::chrono::steady_clock::time_point deadline) {
  return thread_.join_until(deadline);
}

std::string BackgroundThread::failure() const {
  if (!s_) return {};
  std::lock_guard lk(s_->mu);
  return s_->failure;
}

namespace {

constexpr auto kEntries =
    MetricDef::gauge("virtnet_background_entries", "Entries a background collector holds.");
constexpr auto kLimit =
    MetricDef::gauge("virtnet_background_entries_limit", "The most entries it may hold.");
constexpr auto kEstablished =
    MetricDef::gauge("virtnet_background_established_entries",
                     "Of those, the established (protected): no newcomer evicts them.");
constexpr auto kEvictions = MetricDef::counter(
    "virtnet_background_evictions_total",
    "Entries evicted to stay within the limit: newcomers on probation, least recently updated "
    "first.");
constexpr auto kAge = MetricDef::gauge(
    "virtnet_background_last_update_age_seconds",
    "Seconds since the background worker last updated its state successfully; 0 while it "
    "waits for input with everything read (a capture thread in its poll).");

}  // namespace

const std::vector<MetricDef>& background_metric_defs() {
  static const std::vector<MetricDef> defs = {kEntries, kEstablished, kLimit, kEvictions, kAge};
  return defs;
}

void emit_background_health(MetricSink& out, std::string_view collector, std::string_view table,
                            const BackgroundHealth& h) {
  const Labels l = {{"collector", std::string(collector)}, {"table", std::string(table)}};
  out.add(kEntries, static_cast<double>(h.entries), l);
  out.add(kLimit, static_cast<double>(h.cap), l);
  out.add(kEstablished, static_cast<double>(h.established), l);
  out.add(kEvictions, static_cast<double>(h.evictions), l);
  if (h.last_update) {
    out.add(
        kAge,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - *h.last_update).count(),
        l);
  }
}

}  // namespace virtnet
