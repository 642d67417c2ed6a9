#include "exporter/http/tls_material.h"

#include <gnutls/abstract.h>

#include <mutex>
#include <unordered_map>
#include <vector>

#include "exporter/config/config.h"

namespace virtnet {

namespace {

// The material of each attached session. A refused session is absent: nothing is handed to it.
std::mutex g_mu;
std::unordered_map<gnutls_session_t, std::shared_ptr<const TlsMaterial>> g_sessions;

std::shared_ptr<const TlsMaterial> material_of(gnutls_session_t session) {
  std::lock_guard lk(g_mu);
  auto it = g_sessions.find(session);
  return it == g_sessions.end() ? nullptr : it->second;
}

gnutls_datum_t datum(const std::string& s) {
  return {reinterpret_cast<unsigned char*>(const_cast<char*>(s.data())),
          static_cast<unsigned>(s.size())};
}

std::string priorities_for(TlsVersion lo, TlsVersion hi) {
  std::string p = "NORMAL:-VERS-ALL";
  for (int v = static_cast<int>(hi); v >= static_cast<int>(lo); --v) {
    p += ":+VERS-TLS1." + std::to_string(v - 10);
  }
  return p;
}

// GnuTLS calls this with the client's certificate chain (when the client sent one).
int verify_client(gnutls_session_t session) {
  const auto m = material_of(session);
  if (!m || !m->client_cas) return -1;
  unsigned n = 0;
  const gnutls_datum_t* raw = gnutls_certificate_get_peers(session, &n);
  if (!raw || n == 0) {
    return m->settings.client_auth == ClientAuth::kRequireAndVerify ? -1 : 0;
  }
  std::vector<gnutls_x509_crt_t> chain;
  int rc = 0;
  for (unsigned i = 0; i < n && rc == 0; ++i) {
    gnutls_x509_crt_t c = nullptr;
    rc = gnutls_x509_crt_init(&c);
    if (rc == 0) {
      chain.push_back(c);
      rc = gnutls_x509_crt_import(c, &raw[i], GNUTLS_X509_FMT_DER);
    }
  }
  unsigned status = 1;
  if (rc == 0) {
    gnutls_typed_vdata_st purpose{};
    purpose.type = GNUTLS_DT_KEY_PURPOSE_OID;
    purpose.data = reinterpret_cast<unsigned char*>(const_cast<char*>(GNUTLS_KP_TLS_WWW_CLIENT));
    rc = gnutls_x509_trust_list_verify_crt2(m->client_cas, chain.data(),
                                            static_cast<unsigned>(chain.size()), &purpose, 1, 0,
                                            &status, nullptr);
  }
  for (auto c : chain) gnutls_x509_crt_deinit(c);
  return rc == 0 && status == 0 ? 0 : -1;
}

}  // namespace

TlsMaterial::~TlsMaterial() {
  if (client_cas) gnutls_x509_trust_list_deinit(client_cas, 1);
}

std::shared_ptr<const TlsMaterial> load_tls_material(const TlsSettings& s) {
  auto m = std::make_shared<TlsMaterial>();
  m->settings = s;
  m->cert_pem = read_config_file(s.cert_file);
  m->key_pem = read_config_file(s.key_file);
  // The pair is checked the way a handshake will use it: GnuTLS refuses a key that does not
  // match the certificate.
  gnutls_certificate_credentials_t cred = nullptr;
  if (gnutls_certificate_allocate_credentials(&cred) != 0) {
    throw ConfigError("cannot allocate TLS credentials");
  }
  const auto cd = datum(m->cert_pem);
  const auto kd = datum(m->key_pem);
  const int rc =
      gnutls_certificate_set_x509_key_mem2(cred, &cd, &kd, GNUTLS_X509_FMT_PEM, nullptr, 0);
  gnutls_certificate_free_credentials(cred);
  if (rc < 0) {
    throw ConfigError("cert_file " + s.cert_file + " with key_file " + s.key_file + ": " +
                      gnutls_strerror(rc));
  }
  if (!s.client_ca_file.empty()) {
    const auto ca = read_config_file(s.client_ca_file);
    if (gnutls_x509_trust_list_init(&m->client_cas, 0) != 0) {
      throw ConfigError("cannot allocate a certificate trust list");
    }
    const auto ad = datum(ca);
    const int added = gnutls_x509_trust_list_add_trust_mem(m->client_cas, &ad, nullptr,
                                                           GNUTLS_X509_FMT_PEM, 0, 0);
    if (added <= 0) {
      throw ConfigError("client_ca_file " + s.client_ca_file + ": " +
                        (added < 0 ? gnutls_strerror(added) : "holds no certificate"));
    }
  }
  m->priorities = priorities_for(s.min_version, s.max_version);
  gnutls_priority_t p = nullptr;
  const char* where = nullptr;
  const int prc = gnutls_priority_init2(&p, m->priorities.c_str(), &where, 0);
  if (prc < 0) {
    throw ConfigError("min_version/max_version: GnuTLS refuses \"" + m->priorities +
                      "\": " + gnutls_strerror(prc));
  }
  gnutls_priority_deinit(p);
  return m;
}

int tls_retrieve_certificate(gnutls_session_t session, const struct gnutls_cert_retr_st*,
                             gnutls_pcert_st** certs, unsigned* ncerts, gnutls_ocsp_data_st**,
                             unsigned* nocsp, gnutls_privkey_t* key, unsigned* flags) {
  const auto m = material_of(session);
  if (!m) return -1;  // not attached: refused
  *nocsp = 0;
  constexpr unsigned kMaxChain = 16;
  auto* list = static_cast<gnutls_pcert_st*>(gnutls_calloc(kMaxChain, sizeof(gnutls_pcert_st)));
  if (!list) return -1;
  unsigned n = kMaxChain;
  const auto cd = datum(m->cert_pem);
  if (gnutls_pcert_list_import_x509_raw(list, &n, &cd, GNUTLS_X509_FMT_PEM, 0) < 0) {
    gnutls_free(list);
    return -1;
  }
  gnutls_privkey_t k = nullptr;
  const auto kd = datum(m->key_pem);
  if (gnutls_privkey_init(&k) < 0 ||
      gnutls_privkey_import_x509_raw(k, &kd, GNUTLS_X509_FMT_PEM, nullptr, 0) < 0) {
    if (k) gnutls_privkey_deinit(k);
    for (unsigned i = 0; i < n; ++i) gnutls_pcert_deinit(&list[i]);
    gnutls_free(list);
    return -1;
  }
  *certs = list;
  *ncerts = n;
  *key = k;
  *flags = GNUTLS_CERT_RETR_DEINIT_ALL;  // GnuTLS frees the copies when the session ends
  return 0;
}

namespace {

bool apply(gnutls_session_t session, const TlsMaterial& m) {
  if (gnutls_priority_set_direct(session, m.priorities.c_str(), nullptr) < 0) return false;
  switch (m.settings.client_auth) {
    case ClientAuth::kNone:
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_IGNORE);
      break;
    case ClientAuth::kRequest:
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
      break;
    case ClientAuth::kRequireAny:
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
      break;
    case ClientAuth::kVerifyIfGiven:
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
      gnutls_session_set_verify_function(session, &verify_client);
      break;
    case ClientAuth::kRequireAndVerify:
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
      gnutls_session_set_verify_function(session, &verify_client);
      break;
  }
  return true;
}

}  // namespace

bool tls_attach(gnutls_session_t session, std::shared_ptr<const TlsMaterial> m) {
  if (!session) return false;
  if (!m || !apply(session, *m)) {
    tls_detach(session);  // a session reusing a freed one's address must not inherit it
    return false;
  }
  std::lock_guard lk(g_mu);
  g_sessions[session] = std::move(m);
  return true;
}

void tls_detach(gnutls_session_t session) {
  std::lock_guard lk(g_mu);
  g_sessions.erase(session);
}

std::size_t tls_sessions() {
  std::lock_guard lk(g_mu);
  return g_sessions.size();
}

}  // namespace virtnet
