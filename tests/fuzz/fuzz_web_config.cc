#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/config/config.h"
#include "exporter/http/web_config.h"

// The web config parser on any bytes: a config or a ConfigError, nothing else.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    virtnet::parse_web_config(text, "/etc/fuzz/web.yml");
  } catch (const virtnet::ConfigError&) {
  }
  return 0;
}
