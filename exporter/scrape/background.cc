#include "exporter/scrape/background.h"

#include <poll.h>
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
constexpr auto kEvictions =
    MetricDef::counter("virtnet_background_evictions_total",
                       "Entries evicted (least recently updated first) to stay within the limit.");
constexpr auto kAge =
    MetricDef::gauge("virtnet_background_last_update_age_seconds",
                     "Seconds since the background worker last updated its state successfully.");

}  // namespace

const std::vector<MetricDef>& background_metric_defs() {
  static const std::vector<MetricDef> defs = {kEntries, kLimit, kEvictions, kAge};
  return defs;
}

void emit_background_health(MetricSink& out, std::string_view collector, std::size_t entries,
                            std::size_t cap, std::uint64_t evictions,
                            std::optional<std::chrono::steady_clock::time_point> last_update) {
  const Labels l = {{"collector", std::string(collector)}};
  out.add(kEntries, static_cast<double>(entries), l);
  out.add(kLimit, static_cast<double>(cap), l);
  out.add(kEvictions, static_cast<double>(evictions), l);
  if (last_update) {
    out.add(kAge,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - *last_update).count(),
            l);
  }
}

}  // namespace virtnet
