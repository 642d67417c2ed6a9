#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "exporter/http/basic_auth.h"

namespace virtnet {

// The bcrypt work of logins not already known good, bounded so that no flood of guesses can take
// more than one core or hold up anyone else:
// - one worker thread runs the checks, one at a time, never the event loop;
// - at most `queue` checks wait for it; one more is refused at once (the server answers 429);
// - a client address with `failures` failed logins within `window` is refused at once, without
//   a bcrypt, until the window has passed (at most `addresses` are remembered; the least recently
//   seen is forgotten first).
// A login cached good (BasicAuth::lookup) never comes here.
class LoginGate {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    std::size_t queue = 8;
    int failures = 10;
    std::chrono::seconds window{60};
    std::size_t addresses = 4096;
  };
  explicit LoginGate(Limits limits);
  LoginGate() : LoginGate(Limits{}) {}
  // Stops the worker after its current check; checks still queued are answered `false` with
  // `shutting_down` set.
  ~LoginGate();
  LoginGate(const LoginGate&) = delete;
  LoginGate& operator=(const LoginGate&) = delete;

  // The answer to one check, on the worker thread.
  using Done = std::function<void(bool ok, bool shutting_down)>;

  // True when `client` is refused for now (too many recent failures); counted.
  bool throttled(const std::string& client);
  // Queues a check of (user, password) against `auth`; false when the queue is full (counted).
  // `queued` runs under the gate's lock just before the check becomes visible to the worker
  // (the server suspends the connection there, so that `done` never resumes one not suspended).
  bool submit(std::shared_ptr<BasicAuth> auth, std::string client, std::string user,
              std::string password, const std::function<void()>& queued, Done done);
  void stop();

  std::uint64_t throttled_total() const { return throttled_total_; }
  std::uint64_t shed_total() const { return shed_total_; }

 private:
  struct Job {
    std::shared_ptr<BasicAuth> auth;
    std::string client, user, password;
    Done done;
  };
  struct Failures {
    int count = 0;
    Clock::time_point since;
    std::list<std::string>::iterator order;
  };
  void loop();
  void failed(const std::string& client);

  const Limits limits_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread worker_;
  std::mutex failures_mu_;
  std::list<std::string> order_;  // client addresses, least recently failed first
  std::unordered_map<std::string, Failures> failures_;
  std::atomic<std::uint64_t> throttled_total_{0}, shed_total_{0};
};

}  // namespace virtnet
