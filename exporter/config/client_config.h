#pragma once

#include <string>

#include "exporter/sources/http_get.h"

namespace virtnet {

// diagnose --from's --http.config.file: the part of Prometheus' http_config (as promtool's
// --http.config.file reads it) that a scrape of an exporter uses:
//   basic_auth: {username: U, password: P | password_file: FILE}
//   tls_config: {ca_file: F, cert_file: F, key_file: F, insecure_skip_verify: BOOL}
// Anything else is an error with file:line:column; a password is never quoted in one. A relative
// file is read from the config file's directory, as Prometheus does.
HttpGetOptions parse_client_config(const std::string& text, const std::string& file);
HttpGetOptions load_client_config(const std::string& path);

}  // namespace virtnet
