#include "exporter/http/login_gate.h"

namespace virtnet {

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

bool LoginGate::throttled(const std::string& client) {
  std::lock_guard lk(failures_mu_);
  auto it = failures_.find(client);
  if (it == failures_.end()) return false;
  if (Clock::now() - it->second.since >= limits_.window) {
    order_.erase(it->second.order);
    failures_.erase(it);
    return false;
  }
  if (it->second.count < limits_.failures) return false;
  ++throttled_total_;
  return true;
}

void LoginGate::failed(const std::string& client) {
  std::lock_guard lk(failures_mu_);
  const auto now = Clock::now();
  auto it = failures_.find(client);
  if (it == failures_.end()) {
    if (failures_.size() >= limits_.addresses) {
      failures_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(client);
    it = failures_.emplace(client, Failures{0, now, std::prev(order_.end())}).first;
  } else {
    order_.splice(order_.end(), order_, it->second.order);
    if (now - it->second.since >= limits_.window) it->second = {0, now, it->second.order};
  }
  ++it->second.count;
}

bool LoginGate::submit(std::shared_ptr<BasicAuth> auth, std::string client, std::string user,
                       std::string password, const std::function<void()>& queued, Done done) {
  {
    std::lock_guard lk(mu_);
    if (stopping_ || queue_.size() >= limits_.queue) {
      ++shed_total_;
      return false;
    }
    queued();
    queue_.push_back({std::move(auth), std::move(client), std::move(user), std::move(password),
                      std::move(done)});
  }
  cv_.notify_one();
  return true;
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
    const bool ok = job.auth->verify(job.user, job.password);
    job.password.clear();
    if (!ok) failed(job.client);
    job.done(ok, false);
  }
  // Stopping: whatever still waits is answered, so no connection stays suspended.
  std::deque<Job> left;
  {
    std::lock_guard lk(mu_);
    left.swap(queue_);
  }
  for (auto& job : left) job.done(false, true);
}

}  // namespace virtnet
