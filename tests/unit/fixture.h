#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace virtnet::testing {

inline std::string fixture(const std::string& rel) {
  std::ifstream in(std::string(VIRTNET_FIXTURES) + "/" + rel, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace virtnet::testing
