#include "exporter/http/login_gate.h"

#include <crypt.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace virtnet {
namespace {

using namespace std::chrono_literals;
using Outcome = LoginGate::Outcome;

// A bcrypt hash of `password` at `cost`, made here with libxcrypt.
std::string hash_of(const std::string& password, int cost) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, setting,
                             sizeof setting),
            nullptr);
  crypt_data data{};
  return crypt_rn(password.c_str(), setting, &data, sizeof data);
}

LoginGate::Limits limits(std::size_t queue, std::size_t per_client, std::size_t reserved,
                         int failures, std::chrono::seconds window, std::size_t clients = 16) {
  LoginGate::Limits l;
  l.queue = queue;
  l.per_client = per_client;
  l.reserved = reserved;
  l.failures = failures;
  l.window = window;
  l.clients = clients;
  return l;
}

LoginGate::Client v4(const std::string& a) { return {a, ""}; }

// Waits for one check's answer.
struct Answer {
  std::promise<Outcome> p;
  std::shared_future<Outcome> f = p.get_future().share();
  LoginGate::Done done() {
    return [this](Outcome o) { p.set_value(o); };
  }
};

std::shared_ptr<BasicAuth> alice(int cost) {
  return std::make_shared<BasicAuth>(
      std::map<std::string, std::string>{{"alice", hash_of("secret", cost)}});
}

TEST(LoginGate, ChecksOffTheCallersThreadAndThrottlesAnAddress) {
  auto auth = alice(4);
  LoginGate gate(limits(8, 2, 4, 3, 1s));
  auto check = [&](const LoginGate::Client& c, const std::string& password) {
    Answer a;
    auto f = a.f;
    EXPECT_TRUE(gate.submit(
        auth, c, "alice", password, [] {}, a.done()));
    return f.get();
  };
  EXPECT_EQ(check(v4("10.0.0.1"), "secret"), Outcome::kAllowed);
  EXPECT_TRUE(auth->lookup("alice", "secret"));  // a success is known good from now on
  for (int i = 0; i < 3; ++i) EXPECT_EQ(check(v4("10.0.0.2"), "guess"), Outcome::kDenied);
  const auto left = gate.throttled(v4("10.0.0.2"));  // three failures: refused without a bcrypt
  EXPECT_GT(left.count(), 0);
  EXPECT_LE(left.count(), 1);  // what is left of the window, for Retry-After
  EXPECT_EQ(gate.throttled(v4("10.0.0.1")).count(), 0);  // another address is not
  EXPECT_EQ(gate.throttled_total(), 1u);
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(gate.throttled(v4("10.0.0.2")).count(), 0);  // the window has passed
}

// An IPv6 guesser rotating through the /64s of one /48 is one guesser at 16 times the limit.
TEST(LoginGate, AnIpv6BlockCountsAsOne) {
  auto auth = alice(4);
  LoginGate gate(limits(8, 2, 4, 1, 60s));
  for (int i = 0; i < 16; ++i) {
    Answer a;
    auto f = a.f;
    const LoginGate::Client c{"2001:db8:0:" + std::to_string(i) + "::/64", "2001:db8::/48"};
    ASSERT_TRUE(gate.submit(
        auth, c, "alice", "guess", [] {}, a.done()));
    EXPECT_EQ(f.get(), Outcome::kDenied);
  }
  EXPECT_GT(gate.throttled({"2001:db8:0:99::/64", "2001:db8::/48"}).count(), 0);
  EXPECT_EQ(gate.throttled({"2001:db9::/64", "2001:db9::/48"}).count(), 0);
}

// At most `queue` checks wait, at most `per_client` of one client's, and the `reserved` places
// stay for clients that have not failed lately; one more is refused at once. A stop answers
// those waiting.
TEST(LoginGate, TheQueueIsBoundedSharedAndAStopAnswersIt) {
  auto fast = alice(4), slow = alice(12);  // a cost-12 check holds the worker a few hundred ms
  std::vector<std::unique_ptr<Answer>> answers;
  auto submit = [&](LoginGate& gate, std::shared_ptr<BasicAuth> auth, const std::string& client) {
    answers.push_back(std::make_unique<Answer>());
    if (gate.submit(
            auth, v4(client), "alice", "wrong", [] {}, answers.back()->done())) {
      return true;
    }
    answers.pop_back();
    return false;
  };
  {
    LoginGate gate(limits(4, 2, 2, 100, 60s));
    // Two guessers, each with a failure behind it.
    for (const char* guesser : {"10.0.0.3", "10.0.0.7"}) {
      ASSERT_TRUE(submit(gate, fast, guesser));
      answers.back()->f.wait();
    }
    // The worker held by a slow check: what follows waits in the queue.
    ASSERT_TRUE(submit(gate, slow, "10.9.9.9"));
    std::this_thread::sleep_for(50ms);
    EXPECT_TRUE(submit(gate, fast, "10.0.0.3"));
    EXPECT_TRUE(submit(gate, fast, "10.0.0.3"));
    EXPECT_FALSE(submit(gate, fast, "10.0.0.3"));  // its share of the queue
    EXPECT_FALSE(submit(gate, fast, "10.0.0.7"));  // the places left are kept for others
    EXPECT_TRUE(submit(gate, fast, "10.0.0.8"));
    EXPECT_TRUE(submit(gate, fast, "10.0.0.9"));
    EXPECT_FALSE(submit(gate, fast, "10.0.0.10"));  // full
    EXPECT_EQ(gate.shed_total(), 3u);
  }  // stopped: every queued check is answered
  for (auto& a : answers) {
    const auto o = a->f.get();
    EXPECT_TRUE(o == Outcome::kDenied || o == Outcome::kShuttingDown);
  }
}

// Full of clients, the gate forgets one that is not refused now before one that is.
TEST(LoginGate, AFullTableKeepsTheRefused) {
  auto auth = alice(4);
  LoginGate gate(limits(8, 2, 4, 2, 60s, 3));
  auto fail = [&](const std::string& c) {
    Answer a;
    auto f = a.f;
    ASSERT_TRUE(gate.submit(
        auth, v4(c), "alice", "x", [] {}, a.done()));
    f.get();
  };
  fail("10.0.1.1");
  fail("10.0.1.1");  // refused from now on
  fail("10.0.1.2");
  fail("10.0.1.3");
  fail("10.0.1.4");  // the table is full: 10.0.1.2 goes, not 10.0.1.1
  EXPECT_GT(gate.throttled(v4("10.0.1.1")).count(), 0);
}

TEST(LoginGate, WipeOverwritesTheSecret) {
  std::string s = "a password long enough to be on the heap, not in the string itself";
  const char* p = s.data();
  const std::size_t n = s.size();
  wipe(s);
  EXPECT_TRUE(s.empty());
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(p[i], '\0');
}

}  // namespace
}  // namespace virtnet
