#include "exporter/http/login_gate.h"

#include <string.h>

namespace virtnet {

void wipe(std::string& secret) {
  if (!secret.empty()) explicit_bzero(secret.data(), secret.size());
  secret.clear();
}

LoginGate::LoginGate(Limits limits) : limits_(limits) {
  worker_ = std::thread([this] { loop(); });
}

LoginGate::~LoginGate() { stop(); }

void LoginGate::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::chrono::seconds LoginGate::refused_for(const std::string& key, int limit,
                                            Clock::time_point now) {
  auto it = failures_.find(key);
  if (it == failures_.end()) return std::chrono::seconds(0);
  const auto age = now - it->second.since;
  if (age >= limits_.window) {
    order_.erase(it->second.order);
    failures_.erase(it);
    return std::chrono::seconds(0);
  }
  if (it->second.count < limit) return std::chrono::seconds(0);
  return std::chrono::ceil<std::chrono::seconds>(limits_.window - age);
}

std::chrono::seconds LoginGate::throttled(const Client& c) {
  const auto now = Clock::now();
  std::lock_guard lk(failures_mu_);
  auto left = refused_for(c.key, limits_.failures, now);
  if (!c.block.empty()) {
    // A block's limit is high enough for its hosts, low enough for a guesser rotating in it.
    const int block_limit = limits_.failures > (1 << 26) ? limits_.failures : limits_.failures * 16;
    left = std::max(left, refused_for(c.block, block_limit, now));
  }
  if (left.count() > 0) ++throttled_total_;
  return left;
}

bool LoginGate::failed_lately(const Client& c, Clock::time_point now) {
  std::lock_guard lk(failures_mu_);
  for (const auto* key : {&c.key, &c.block}) {
    if (key->empty()) continue;
    auto it = failures_.find(*key);
    if (it != failures_.end() && now - it->second.since < limits_.window) return true;
  }
  return false;
}

void LoginGate::failed(const std::string& key, Clock::time_point now) {
  if (key.empty()) return;
  std::lock_guard lk(failures_mu_);
  auto it = failures_.find(key);
  if (it == failures_.end()) {
    if (failures_.size() >= limits_.clients) {
      // Full: the least recently failed key that is not refused now goes, or, when every one
      // is, the least recently failed of all (its window ends first).
      auto victim = order_.begin();
      for (auto o = order_.begin(); o != order_.end(); ++o) {
        const auto& f = failures_.at(*o);
        if (now - f.since >= limits_.window || f.count < limits_.failures) {
          victim = o;
          break;
        }
      }
      failures_.erase(*victim);
      order_.erase(victim);
    }
    order_.push_back(key);
    it = failures_.emplace(key, Failures{0, now, std::prev(order_.end())}).first;
  } else {
    order_.splice(order_.end(), order_, it->second.order);
    if (now - it->second.since >= limits_.window) it->second = {0, now, it->second.order};
  }
  ++it->second.count;
}

void LoginGate::succeeded(const std::string& key) {
  std::lock_guard lk(failures_mu_);
  auto it = failures_.find(key);
  if (it == failures_.end()) return;
  order_.erase(it->second.order);
  failures_.erase(it);
}

bool LoginGate::submit(std::shared_ptr<BasicAuth> auth, Client client, std::string user,
                       std::string password, const std::function<void()>& queued, Done done) {
  const bool suspect = failed_lately(client, Clock::now());
  std::lock_guard lk(mu_);
  if (stopping_) return false;
  auto& mine = in_flight_[client.key];
  // Guessers may fill the queue only up to the places kept for everyone else.
  const std::size_t room = suspect ? limits_.queue - limits_.reserved : limits_.queue;
  if (queue_.size() >= room || mine >= limits_.per_client) {
    if (mine == 0) in_flight_.erase(client.key);
    ++shed_total_;
    wipe(password);
    return false;
  }
  ++mine;
  queued();
  queue_.push_back(
      {std::move(auth), std::move(client), std::move(user), std::move(password), std::move(done)});
  cv_.notify_one();
  return true;
}

void LoginGate::finish(Job& job, Outcome o) {
  try {
    job.done(o);
  } catch (...) {
    // Not reached: the server's callback catches what it throws. Nothing to resume from here.
  }
  std::lock_guard lk(mu_);
  auto it = in_flight_.find(job.client.key);
  if (it != in_flight_.end() && --it->second == 0) in_flight_.erase(it);
}

void LoginGate::loop() {
  for (;;) {
    Job job;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Outcome o = Outcome::kError;
    const auto started = Clock::now();
    try {
      o = job.auth->verify(job.user, job.password) ? Outcome::kAllowed : Outcome::kDenied;
      if (o == Outcome::kDenied) {
        const auto now = Clock::now();
        failed(job.client.key, now);
        failed(job.client.block, now);
      } else {
        succeeded(job.client.key);
      }
    } catch (...) {
      o = Outcome::kError;  // std::bad_alloc: answered 500, never the process's end
    }
    wipe(job.password);
    finish(job, o);
    // As long again at rest (woken by a stop): half a core at most, whatever comes.
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, Clock::now() - started, [&] { return stopping_; });
  }
  // Stopping: whatever still waits is answered, so no connection stays suspended.
  std::deque<Job> left;
  {
    std::lock_guard lk(mu_);
    left.swap(queue_);
  }
  for (auto& job : left) {
    wipe(job.password);
    finish(job, Outcome::kShuttingDown);
  }
}

}  // namespace virtnet
