#include "exporter/app.h"
#include "exporter/collector_registry.h"

int main(int argc, char** argv) {
  return virtnet::run_exporter(argc, argv, virtnet::builtin_collectors());
}
