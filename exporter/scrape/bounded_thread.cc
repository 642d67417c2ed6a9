#include "exporter/scrape/bounded_thread.h"

#include <pthread.h>

#include <algorithm>

#include "exporter/common/logging.h"

namespace virtnet {

BoundedThread::~BoundedThread() {
  if (thread_.joinable()) thread_.detach();
}

void BoundedThread::start(std::string kind, std::string name, std::function<void()> body) {
  kind_ = std::move(kind);
  name_ = std::move(name);
  exit_ = std::make_shared<Exit>();
  // Named for `top -H` and /proc/PID/task/TID/comm: a collector's worker by the collector
  // ("process"), a background thread with its kind ("worker vrrp"); 15 bytes at most.
  std::string comm = kind_ == "collector" ? name_ : kind_ + " " + name_;
  comm.resize(std::min<std::size_t>(comm.size(), 15));
  thread_ = std::thread([exit = exit_, body = std::move(body), comm = std::move(comm)] {
    pthread_setname_np(pthread_self(), comm.c_str());
    body();
    std::lock_guard lk(exit->mu);
    exit->done = true;
    exit->cv.notify_all();
  });
}

bool BoundedThread::join_until(Clock::time_point deadline) {
  if (!thread_.joinable()) return true;
  const auto start = Clock::now();
  std::unique_lock lk(exit_->mu);
  const bool done = exit_->cv.wait_until(lk, deadline, [&] { return exit_->done; });
  lk.unlock();
  if (done) {
    thread_.join();
    return true;
  }
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  log_warn("did not stop in time; its thread is left to finish",
           {{kind_, name_}, {"waited_ms", std::to_string(waited.count())}});
  thread_.detach();
  return false;
}

}  // namespace virtnet
