#include "exporter/config/client_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "exporter/common/options.h"

namespace virtnet {
namespace {

std::string error_of(const std::string& yaml) {
  try {
    parse_client_config(yaml, "/etc/virtnet/client.yml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ClientConfig, BasicAuthAndTlsAsPrometheusSpellsThem) {
  const auto o = parse_client_config(
      "basic_auth:\n  username: prometheus\n  password: s3cret\n"
      "tls_config:\n  ca_file: ca.pem\n  cert_file: /abs/c.pem\n  key_file: k.pem\n"
      "  insecure_skip_verify: true\n",
      "/etc/virtnet/client.yml");
  EXPECT_EQ(o.username, "prometheus");
  EXPECT_EQ(o.password, "s3cret");
  EXPECT_EQ(o.ca_file, "/etc/virtnet/ca.pem");  // relative to the file, as Prometheus reads it
  EXPECT_EQ(o.cert_file, "/abs/c.pem");
  EXPECT_EQ(o.key_file, "/etc/virtnet/k.pem");
  EXPECT_TRUE(o.insecure_skip_verify);
  EXPECT_TRUE(parse_client_config("", "f").username.empty());
}

TEST(ClientConfig, APasswordFileIsReadWithoutItsNewline) {
  const std::string dir = testing::TempDir();
  std::ofstream(dir + "/pw") << "hunter2\n";
  const auto o =
      parse_client_config("basic_auth: {username: u, password_file: pw}\n", dir + "/c.yml");
  EXPECT_EQ(o.password, "hunter2");
}

TEST(ClientConfig, MistakesAreErrorsWithTheirPlaceAndNoSecret) {
  EXPECT_NE(error_of("bearer_token: x\n").find("client.yml:1:1: unknown key"), std::string::npos);
  EXPECT_NE(error_of("basic_auth:\n  username: u\n  pasword: s3cret\n").find("3:3"),
            std::string::npos);
  EXPECT_EQ(error_of("basic_auth:\n  username: u\n  pasword: s3cret\n").find("s3cret"),
            std::string::npos);
  EXPECT_NE(error_of("basic_auth: {password: p}\n").find("without a username"), std::string::npos);
  EXPECT_NE(error_of("basic_auth: {username: u, password: p, password_file: f}\n").find("both"),
            std::string::npos);
  EXPECT_NE(error_of("tls_config: {cert_file: c}\n").find("go together"), std::string::npos);
  EXPECT_NE(error_of("tls_config: {insecure_skip_verify: maybe}\n").find("true or false"),
            std::string::npos);
  EXPECT_NE(error_of("tls_config: [a]\n").find("a map expected"), std::string::npos);
}

}  // namespace
}  // namespace virtnet
