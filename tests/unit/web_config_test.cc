#include "exporter/http/web_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "exporter/config/config.h"
#include "exporter/http/basic_auth.h"
#include "exporter/http/web_config_watch.h"

namespace virtnet {
namespace {

// htpasswd -nbBC 4 alice secret (Apache's bcrypt, not libxcrypt: the check is independent).
const std::string kAlice = "$2y$04$CtCjbN4s0peekWShkFx4tuQ7AnTyou2t436cYZiiNgXQC0pZFNeNO";

std::string error_of(const std::string& text) {
  try {
    parse_web_config(text, "/etc/v/web.yml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(WebConfig, EmptyFileIsPlainHttpWithoutAuth) {
  const auto c = parse_web_config("", "/etc/v/web.yml");
  EXPECT_FALSE(c.tls);
  EXPECT_TRUE(c.users.empty());
  EXPECT_TRUE(c.headers.empty());
}

TEST(WebConfig, FullFile) {
  const auto c = parse_web_config(
      "tls_server_config:\n"
      "  cert_file: tls/server.pem\n"
      "  key_file: /abs/server.key\n"
      "  client_auth_type: RequireAndVerifyClientCert\n"
      "  client_ca_file: ca.pem\n"
      "  min_version: TLS13\n"
      "  prefer_server_cipher_suites: true\n"
      "http_server_config:\n"
      "  http2: false\n"
      "  headers:\n"
      "    X-Frame-Options: deny\n"
      "    Strict-Transport-Security: max-age=31536000\n"
      "basic_auth_users:\n"
      "  alice: '" +
          kAlice + "'\n",
      "/etc/v/web.yml");
  ASSERT_TRUE(c.tls);
  EXPECT_EQ(c.tls->cert_file, "/etc/v/tls/server.pem");  // relative to the file, as Go does
  EXPECT_EQ(c.tls->key_file, "/abs/server.key");
  EXPECT_EQ(c.tls->client_ca_file, "/etc/v/ca.pem");
  EXPECT_EQ(c.tls->client_auth, ClientAuth::kRequireAndVerify);
  EXPECT_EQ(c.tls->min_version, TlsVersion::k13);
  EXPECT_EQ(c.tls->max_version, TlsVersion::k13);
  ASSERT_EQ(c.headers.size(), 2u);
  EXPECT_EQ(c.users.at("alice"), kAlice);
}

TEST(WebConfig, RefusalsSayWhereAndWhy) {
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: a.pem\n"),
            "/etc/v/web.yml:2:3: tls_server_config: missing key_file");
  EXPECT_NE(error_of("tls_sever_config: {}\n").find("1:1: unknown key \"tls_sever_config\""),
            std::string::npos);
  EXPECT_NE(error_of("tls_server_config: {cert_file: a, key_file: b, min_version: TLS14}\n")
                .find("unknown TLS version \"TLS14\""),
            std::string::npos);
  EXPECT_NE(error_of("tls_server_config: {cert_file: a, key_file: b, client_auth_type: Maybe}\n")
                .find("invalid client_auth_type"),
            std::string::npos);
  EXPECT_NE(error_of("tls_server_config: {cert_file: a, key_file: b, client_ca_file: c}\n")
                .find("without a client_auth_type"),
            std::string::npos);
  EXPECT_NE(error_of("tls_server_config: {cert_file: a, key_file: b, "
                     "client_auth_type: RequireAndVerifyClientCert}\n")
                .find("client_ca_file, which is not set"),
            std::string::npos);
  EXPECT_NE(error_of("tls_server_config: {cert_file: a, key_file: b, min_version: TLS13, "
                     "max_version: TLS12}\n")
                .find("min_version is above max_version"),
            std::string::npos);
  EXPECT_NE(error_of("tls_server_config: {cert_file: a, key_file: b, cipher_suites: "
                     "[TLS_AES_128_GCM_SHA256]}\n")
                .find("cannot honour"),
            std::string::npos);
  EXPECT_NE(error_of("http_server_config: {headers: {X-Powered-By: me}}\n")
                .find("HTTP header \"X-Powered-By\" can not be configured"),
            std::string::npos);
  EXPECT_NE(error_of("http_server_config: {headers: {X-Frame-Options: allow}}\n")
                .find("expected one of deny, sameorigin"),
            std::string::npos);
  EXPECT_NE(error_of("http_server_config: {http2: maybe}\n").find("http2 must be a boolean"),
            std::string::npos);
  EXPECT_NE(error_of("a: 1\na: 2\n").find("duplicate key"), std::string::npos);
}

// Neither the user nor the hash is quoted (both are secrets): the entry is named by its place.
TEST(WebConfig, ABadHashIsNamedByPlaceNeverQuoted) {
  const std::string secretish = "$2b$10$notquiteahashbutclosetoonecheckedhere.abcdefghijklmnopq";
  const auto msg = error_of("basic_auth_users:\n  bob: '" + secretish + "'\n");
  EXPECT_NE(msg.find(":2:8: basic_auth_users: this password is not a bcrypt hash"),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("notquite"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("bob"), std::string::npos) << msg;
  const auto dup =
      error_of("basic_auth_users:\n  bob: '" + kAlice + "'\n  bob: '" + kAlice + "'\n");
  EXPECT_NE(dup.find(":3:3: duplicate key (first at line 2, column 3)"), std::string::npos) << dup;
  EXPECT_EQ(dup.find("bob"), std::string::npos) << dup;
  EXPECT_NE(error_of("basic_auth_users:\n  bob: plaintext\n").find("not a bcrypt hash"),
            std::string::npos);
  EXPECT_NE(error_of("basic_auth_users:\n  'a:b': '" + kAlice + "'\n").find("cannot hold ':'"),
            std::string::npos);
}

TEST(WebConfig, BcryptCost) {
  EXPECT_EQ(bcrypt_cost(kAlice), 4);
  EXPECT_EQ(bcrypt_cost("$2b$12$" + std::string(53, 'a')), 12);
  EXPECT_FALSE(bcrypt_cost("$2x$12$" + std::string(53, 'a')));
  EXPECT_FALSE(bcrypt_cost("$2b$03$" + std::string(53, 'a')));
  EXPECT_FALSE(bcrypt_cost("$2b$12$" + std::string(52, 'a')));
  EXPECT_FALSE(bcrypt_cost("$2b$12$" + std::string(52, 'a') + "!"));
  EXPECT_FALSE(bcrypt_cost("$1$abc$def"));
}

TEST(BasicAuth, RightWrongAndUnknown) {
  BasicAuth auth({{"alice", kAlice}});
  EXPECT_FALSE(auth.lookup("alice", "secret"));  // nothing is known good before a bcrypt
  EXPECT_TRUE(auth.verify("alice", "secret"));
  EXPECT_FALSE(auth.verify("alice", "Secret"));
  EXPECT_FALSE(auth.verify("alice", ""));
  EXPECT_FALSE(auth.verify("mallory", "secret"));  // the decoy hash is checked, and fails
  EXPECT_FALSE(auth.verify("", ""));
  // Only the success was cached: a wrong password never is (a flood cannot fill the cache).
  EXPECT_EQ(auth.cache_size(), 1u);
  EXPECT_TRUE(auth.lookup("alice", "secret"));
  EXPECT_FALSE(auth.lookup("alice", "Secret"));
  EXPECT_FALSE(auth.lookup("mallory", "secret"));
}

// The cache holds successes only, at most kCacheCap, evicting the least recently used one at a
// time, never all at once.
TEST(BasicAuth, TheCacheEvictsOneAtATime) {
  std::map<std::string, std::string> users;
  for (std::size_t i = 0; i <= BasicAuth::kCacheCap; ++i) users["u" + std::to_string(i)] = kAlice;
  BasicAuth auth(users);
  for (std::size_t i = 0; i < BasicAuth::kCacheCap; ++i) {
    ASSERT_TRUE(auth.verify("u" + std::to_string(i), "secret"));
  }
  EXPECT_EQ(auth.cache_size(), BasicAuth::kCacheCap);
  EXPECT_TRUE(auth.lookup("u0", "secret"));  // used again: u1 is now the least recent
  ASSERT_TRUE(auth.verify("u" + std::to_string(BasicAuth::kCacheCap), "secret"));
  EXPECT_EQ(auth.cache_size(), BasicAuth::kCacheCap);
  EXPECT_TRUE(auth.lookup("u0", "secret"));
  EXPECT_FALSE(auth.lookup("u1", "secret"));
  EXPECT_TRUE(auth.lookup("u2", "secret"));
}

// CVE-2022-46146's lesson: after the file changes a user's hash, a "yes" cached for the old hash
// must not answer. Each load of the file builds its own checker, cache included.
TEST(BasicAuth, AReloadedHashIsNotAnsweredFromTheOldCache) {
  char dir[] = "/tmp/virtnet-webcfg.XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/web.yml";
  auto write = [&](const std::string& hash) {
    std::ofstream(path) << "basic_auth_users:\n  alice: '" << hash << "'\n";
  };
  write(kAlice);
  const auto before = load_web_state(path);
  ASSERT_TRUE(before->auth->verify("alice", "secret"));
  ASSERT_TRUE(before->auth->lookup("alice", "secret"));
  // htpasswd -nbBC 4 alice other
  write("$2y$04$7yK2SUEgXuhvqyYOkh8nQupTx8lGEJlIYCK5wMQfmUv/KM/IsSNc.");
  const auto after = load_web_state(path);
  EXPECT_FALSE(after->auth->lookup("alice", "secret"));
  EXPECT_FALSE(after->auth->verify("alice", "secret"));
  EXPECT_TRUE(after->auth->verify("alice", "other"));
  EXPECT_EQ(after->auth->cache_size(), 1u);
  std::filesystem::remove_all(dir);
}

// A reload keeps the logins known good: a renewed certificate must not send every scraper
// through a bcrypt again. What a changed hash invalidates still never answers.
TEST(BasicAuth, AReloadKeepsTheLoginsKnownGood) {
  BasicAuth before({{"alice", kAlice}, {"bob", kAlice}});
  ASSERT_TRUE(before.verify("alice", "secret"));
  ASSERT_TRUE(before.verify("bob", "secret"));
  // htpasswd -nbBC 4 bob other: bob's hash changed, alice's did not.
  BasicAuth after(
      {{"alice", kAlice}, {"bob", "$2y$04$7yK2SUEgXuhvqyYOkh8nQupTx8lGEJlIYCK5wMQfmUv/KM/IsSNc."}});
  after.inherit(before);
  EXPECT_TRUE(after.lookup("alice", "secret"));
  EXPECT_FALSE(after.lookup("bob", "secret"));
}

// A hash too costly to check under a flood is refused when the file is read, never on the event
// loop (which is where a reload is read).
TEST(WebConfig, BcryptCostCeiling) {
  const std::string at14 = "basic_auth_users:\n  a: '$2b$14$" + std::string(53, 'a') + "'\n";
  const std::string at15 = "basic_auth_users:\n  a: '$2b$15$" + std::string(53, 'a') + "'\n";
  EXPECT_EQ(parse_web_config(at14, "/etc/v/web.yml").users.size(), 1u);
  EXPECT_EQ(error_of(at15),
            "/etc/v/web.yml:2:6: basic_auth_users: bcrypt cost 15 is above 14, the most accepted "
            "(each step "
            "doubles the time of a check)");
}

TEST(BasicAuth, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace virtnet
