#include "exporter/http/login_gate.h"

#include <crypt.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace virtnet {
namespace {

using namespace std::chrono_literals;

// A bcrypt hash of `password` at `cost`, made here with libxcrypt.
std::string hash_of(const std::string& password, int cost) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, setting,
                             sizeof setting),
            nullptr);
  crypt_data data{};
  return crypt_rn(password.c_str(), setting, &data, sizeof data);
}

// Waits for one check's answer.
struct Answer {
  std::promise<std::pair<bool, bool>> p;
  LoginGate::Done done() {
    return [this](bool ok, bool stopping) { p.set_value({ok, stopping}); };
  }
};

TEST(LoginGate, ChecksOffTheCallersThreadAndThrottlesAnAddress) {
  auto auth = std::make_shared<BasicAuth>(
      std::map<std::string, std::string>{{"alice", hash_of("secret", 4)}});
  LoginGate gate({8, 3, std::chrono::seconds(1), 16});
  auto check = [&](const std::string& client, const std::string& password) {
    Answer a;
    auto f = a.p.get_future();
    EXPECT_TRUE(gate.submit(
        auth, client, "alice", password, [] {}, a.done()));
    return f.get().first;
  };
  EXPECT_TRUE(check("10.0.0.1", "secret"));
  EXPECT_TRUE(auth->lookup("alice", "secret"));  // a success is known good from now on
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(check("10.0.0.2", "guess"));
  EXPECT_TRUE(gate.throttled("10.0.0.2"));   // three failures: refused without a bcrypt
  EXPECT_FALSE(gate.throttled("10.0.0.1"));  // another address is not
  EXPECT_EQ(gate.throttled_total(), 1u);
  std::this_thread::sleep_for(1100ms);
  EXPECT_FALSE(gate.throttled("10.0.0.2"));  // the window has passed
}

// At most `queue` checks wait; one more is refused at once, and a stop answers those waiting.
TEST(LoginGate, TheQueueIsBoundedAndAStopAnswersIt) {
  auto auth = std::make_shared<BasicAuth>(std::map<std::string, std::string>{
      {"alice", hash_of("secret", 10)}});  // tens of ms each: the worker stays busy
  std::vector<std::unique_ptr<Answer>> answers;
  std::atomic<int> queued{0};
  int refused = 0;
  {
    LoginGate gate({2, 100, std::chrono::seconds(60), 16});
    for (int i = 0; i < 10; ++i) {
      answers.push_back(std::make_unique<Answer>());
      if (!gate.submit(
              auth, "10.0.0.3", "alice", "wrong", [&] { ++queued; }, answers.back()->done())) {
        answers.pop_back();
        ++refused;
      }
    }
    EXPECT_LE(queued.load(), 3);  // two waiting and perhaps one taken already
    EXPECT_GE(refused, 7);
    EXPECT_EQ(gate.shed_total(), static_cast<std::uint64_t>(refused));
  }  // stopped: every queued check is answered
  for (auto& a : answers) {
    const auto [ok, stopping] = a->p.get_future().get();
    EXPECT_FALSE(ok);
    (void)stopping;
  }
}

}  // namespace
}  // namespace virtnet
