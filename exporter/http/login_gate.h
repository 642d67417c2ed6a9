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
#include <vector>

#include "exporter/http/basic_auth.h"

namespace virtnet {

// The bcrypt work of logins not already known good, bounded so that no flood of guesses can take
// more than one core or hold up anyone else:
// - one worker thread runs the checks, one at a time, never the event loop, and rests after each
//   as long as it took: the bcrypts of a flood take half a core at most;
// - at most `queue` checks wait for it, at most `per_client` of one client's; the last
//   `reserved` places are kept for clients with no recent failure, so guessers cannot fill them;
//   beyond that a check is refused at once (the server answers 429);
// - a client with `failures` failed logins within `window` is refused at once, without a bcrypt,
//   until the window has passed. A client is an address's key (IPv4; IPv6 by /64), and IPv6's
//   /48 counts too, at 16 times the limit, so that a block of addresses is one guesser. At most
//   `clients` keys are remembered: when full, one that is not refused now goes first.
// A login cached good (BasicAuth::lookup) never comes here.
class LoginGate {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    std::size_t queue = 8;
    std::size_t per_client = 2;
    std::size_t reserved = 4;
    int failures = 10;
    std::chrono::seconds window{60};
    std::size_t clients = 4096;
  };
  explicit LoginGate(Limits limits);
  LoginGate() : LoginGate(Limits{}) {}
  // Stops the worker after its current check; checks still queued are answered kShuttingDown.
  ~LoginGate();
  LoginGate(const LoginGate&) = delete;
  LoginGate& operator=(const LoginGate&) = delete;

  enum class Outcome { kAllowed, kDenied, kShuttingDown, kError };
  // The answer to one check, on the worker thread. It must not throw (it is caught, and the
  // check answered kError, which the server answers 500).
  using Done = std::function<void(Outcome)>;

  // The keys a client address counts under: itself (or its /64), and for IPv6 its /48.
  struct Client {
    std::string key;
    std::string block;  // "" for IPv4
  };

  // How long `c` is refused for still (too many recent failures), or zero; counted.
  std::chrono::seconds throttled(const Client& c);
  // Queues a check of (user, password) against `auth`; false when it is refused (the queue full,
  // or this client's share of it), counted. `queued` runs under the gate's lock just before the
  // check becomes visible to the worker (the server suspends the connection there, so that
  // `done` never resumes one not suspended).
  bool submit(std::shared_ptr<BasicAuth> auth, Client client, std::string user,
              std::string password, const std::function<void()>& queued, Done done);
  void stop();

  std::uint64_t throttled_total() const { return throttled_total_; }
  std::uint64_t shed_total() const { return shed_total_; }

 private:
  struct Job {
    std::shared_ptr<BasicAuth> auth;
    Client client;
    std::string user, password;
    Done done;
  };
  struct Failures {
    int count = 0;
    Clock::time_point since;
    std::list<std::string>::iterator order;
  };
  void loop();
  void finish(Job& job, Outcome o);
  void failed(const std::string& key, Clock::time_point now);
  void succeeded(const std::string& key);
  // Under failures_mu_: the key's remaining refusal, and whether it failed lately at all.
  std::chrono::seconds refused_for(const std::string& key, int limit, Clock::time_point now);
  bool failed_lately(const Client& c, Clock::time_point now);

  const Limits limits_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  std::unordered_map<std::string, std::size_t> in_flight_;  // by client key: queued or running
  bool stopping_ = false;
  std::thread worker_;
  std::mutex failures_mu_;
  std::list<std::string> order_;  // keys, least recently failed first
  std::unordered_map<std::string, Failures> failures_;
  std::atomic<std::uint64_t> throttled_total_{0}, shed_total_{0};
};

// Overwrites a secret's bytes before it is let go.
void wipe(std::string& secret);

}  // namespace virtnet
