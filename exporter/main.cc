#include "exporter/app.h"

int main(int argc, char** argv) {
  return virtnet::run_exporter(argc, argv, virtnet::builtin_collectors());
}
