#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace virtnet {

// How long stopping may take: one bound for a whole shutdown or reload, however many collectors
// and background threads stop together (each is told first, then all are waited for until one
// deadline).
inline constexpr std::chrono::seconds kStopBound{2};

// A thread that is joined until a deadline, not forever: one still running then (stuck in a
// system call that cannot be interrupted) is detached and logged, and must own, through
// shared_ptr, everything it touches. Used by the collector workers and the background helper.
class BoundedThread {
 public:
  using Clock = std::chrono::steady_clock;
  BoundedThread() = default;
  BoundedThread(const BoundedThread&) = delete;
  BoundedThread& operator=(const BoundedThread&) = delete;
  // A thread still running here is detached (it owns what it uses): never std::terminate.
  ~BoundedThread();

  // Starts `body` on a new thread; `kind` and `name` name it in the log ("collector", "vrrp").
  // Throws std::system_error as std::thread does.
  void start(std::string kind, std::string name, std::function<void()> body);
  // True once the thread has ended (or when it never started). Joined if it ended by `deadline`;
  // otherwise detached, logged, and false.
  bool join_until(Clock::time_point deadline);
  bool started() const { return thread_.joinable(); }

 private:
  struct Exit {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  std::string kind_, name_;
  std::shared_ptr<Exit> exit_;
  std::thread thread_;
};

}  // namespace virtnet
