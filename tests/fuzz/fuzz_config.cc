#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/collector_registry.h"
#include "exporter/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto registry = virtnet::builtin_collectors();
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    virtnet::build_config(registry, "fuzz.yml", text, {});
  } catch (const virtnet::ConfigError&) {
  }
  return 0;
}
