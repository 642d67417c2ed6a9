// The exporter with the misbehaving collectors added, for end-to-end tests of the framework.
#include "exporter/app.h"
#include "exporter/collector_registry.h"
#include "tests/support/test_collectors.h"

int main(int argc, char** argv) {
  auto registry = virtnet::builtin_collectors();
  for (auto& c : virtnet::testing::misbehaving_collectors()) registry.push_back(std::move(c));
  return virtnet::run_exporter(argc, argv, registry);
}
