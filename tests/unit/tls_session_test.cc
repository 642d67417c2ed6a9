#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <future>

#include "exporter/http/tls_material.h"

namespace virtnet {
namespace {

// A self-signed certificate and its key, made here with GnuTLS.
struct Pem {
  std::string cert, key;
};

std::string take(gnutls_datum_t& d) {
  std::string s(reinterpret_cast<char*>(d.data), d.size);
  gnutls_free(d.data);
  return s;
}

Pem self_signed(const char* cn) {
  gnutls_x509_privkey_t key = nullptr;
  gnutls_x509_crt_t crt = nullptr;
  gnutls_x509_privkey_init(&key);
  gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                               GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
  gnutls_x509_crt_init(&crt);
  gnutls_x509_crt_set_version(crt, 3);
  const unsigned char serial[] = {1};
  gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
  gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                static_cast<unsigned>(std::strlen(cn)));
  gnutls_x509_crt_set_activation_time(crt, std::time(nullptr) - 60);
  gnutls_x509_crt_set_expiration_time(crt, std::time(nullptr) + 3600);
  gnutls_x509_crt_set_key(crt, key);
  gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
  gnutls_datum_t c{}, k{};
  gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &c);
  gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &k);
  gnutls_x509_crt_deinit(crt);
  gnutls_x509_privkey_deinit(key);
  return {take(c), take(k)};
}

std::shared_ptr<const TlsMaterial> material(const Pem& pem, const std::string& priorities) {
  auto m = std::make_shared<TlsMaterial>();
  m->cert_pem = pem.cert;
  m->key_pem = pem.key;
  m->priorities = priorities;
  return m;
}

constexpr const char* kPriorities = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";

// A server session as libmicrohttpd sets it up (the certificate callback, default priorities),
// then attached (or not) to `m`, handshaking with a GnuTLS client over a socket pair. Returns
// whether the server's handshake succeeded, and the CN of the certificate the client was shown.
struct Outcome {
  bool attached = false;
  int server = 0;
  std::string shown;
};

Outcome handshake(std::shared_ptr<const TlsMaterial> m,
                  const std::function<void()>& meanwhile = {}) {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  gnutls_certificate_credentials_t scred = nullptr, ccred = nullptr;
  gnutls_certificate_allocate_credentials(&scred);
  gnutls_certificate_set_retrieve_function3(scred, &tls_retrieve_certificate);
  gnutls_certificate_allocate_credentials(&ccred);
  gnutls_session_t server = nullptr, client = nullptr;
  gnutls_init(&server, GNUTLS_SERVER);
  gnutls_credentials_set(server, GNUTLS_CRD_CERTIFICATE, scred);
  gnutls_set_default_priority(server);
  gnutls_transport_set_int(server, fds[0]);
  gnutls_init(&client, GNUTLS_CLIENT);
  gnutls_credentials_set(client, GNUTLS_CRD_CERTIFICATE, ccred);
  gnutls_set_default_priority(client);
  gnutls_transport_set_int(client, fds[1]);
  Outcome out;
  out.attached = tls_attach(server, std::move(m));
  if (meanwhile) meanwhile();  // a reload between the accept and the handshake
  auto peer = std::async(std::launch::async, [&] {
    int rc;
    do {
      rc = gnutls_handshake(client);
    } while (rc < 0 && !gnutls_error_is_fatal(rc));
    std::string cn;
    unsigned n = 0;
    const gnutls_datum_t* certs = rc == 0 ? gnutls_certificate_get_peers(client, &n) : nullptr;
    if (certs && n > 0) {
      gnutls_x509_crt_t c = nullptr;
      gnutls_x509_crt_init(&c);
      gnutls_x509_crt_import(c, &certs[0], GNUTLS_X509_FMT_DER);
      char buf[64] = {};
      std::size_t len = sizeof buf;
      gnutls_x509_crt_get_dn_by_oid(c, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &len);
      cn = buf;
      gnutls_x509_crt_deinit(c);
    }
    return cn;
  });
  int rc;
  do {
    rc = gnutls_handshake(server);
  } while (rc < 0 && !gnutls_error_is_fatal(rc));
  out.server = rc;
  if (rc < 0) ::shutdown(fds[0], SHUT_RDWR);  // the client learns at once
  out.shown = peer.get();
  tls_detach(server);
  gnutls_deinit(client);
  gnutls_deinit(server);
  gnutls_certificate_free_credentials(scred);
  gnutls_certificate_free_credentials(ccred);
  ::close(fds[0]);
  ::close(fds[1]);
  return out;
}

TEST(TlsSession, AttachedSessionsHandshake) {
  const auto o = handshake(material(self_signed("virtnet-a"), kPriorities));
  EXPECT_TRUE(o.attached);
  EXPECT_EQ(o.server, 0) << gnutls_strerror(o.server);
  EXPECT_EQ(o.shown, "virtnet-a");
  EXPECT_EQ(tls_sessions(), 0u);  // detached when closed
}

// Fail closed: a session whose policy cannot be applied (here, priorities GnuTLS refuses), or
// that has no material at all, is refused: its handshake fails and nothing would be served.
TEST(TlsSession, APolicyThatCannotBeAppliedRefusesTheSession) {
  auto o = handshake(material(self_signed("virtnet-b"), "NOT-A-PRIORITY-STRING"));
  EXPECT_FALSE(o.attached);
  EXPECT_LT(o.server, 0);
  EXPECT_EQ(o.shown, "");
  o = handshake(nullptr);
  EXPECT_FALSE(o.attached);
  EXPECT_LT(o.server, 0);
}

// A session keeps the material it was accepted with: a reload before its handshake (another
// session attached to the new material meanwhile) does not change what it is shown.
TEST(TlsSession, ASessionKeepsItsOwnGeneration) {
  const auto before = material(self_signed("before-reload"), kPriorities);
  const auto after = material(self_signed("after-reload"), kPriorities);
  Outcome other;
  const auto o = handshake(before, [&] { other = handshake(after); });
  EXPECT_EQ(o.server, 0);
  EXPECT_EQ(o.shown, "before-reload");
  EXPECT_EQ(other.shown, "after-reload");
}

}  // namespace
}  // namespace virtnet
