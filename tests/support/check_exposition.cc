// check_exposition < FILE: the exposition check of tests/support/exposition_check, for the
// end-to-end tests (promtool does not see a duplicate series). Exit 0 and the sample count, or
// exit 1 and the first violation.
#include <iostream>
#include <iterator>
#include <string>

#include "tests/support/exposition_check.h"

int main() {
  const std::string text((std::istreambuf_iterator<char>(std::cin)),
                         std::istreambuf_iterator<char>());
  std::string err;
  const auto samples = virtnet::testing::parse_exposition(text, &err);
  if (!err.empty()) {
    std::cerr << "check_exposition: " << err << "\n";
    return 1;
  }
  std::cout << samples.size() << " samples\n";
  return 0;
}
