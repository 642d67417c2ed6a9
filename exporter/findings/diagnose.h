#pragma once

#include <chrono>
#include <ostream>
#include <vector>

#include "exporter/findings/findings.h"

namespace virtnet {

struct DiagnoseOptions {
  std::chrono::milliseconds watch{10000};  // between the two collections (rates, packets)
  bool json = false;
};

// The report an operator reads at 3 am: findings worst first, each with its culprit and the next
// thing to check; or a line saying nothing was found. `collectors` is how many ran; `fleet` the
// conditions only Prometheus can judge, named as not judged here.
void render_text(const std::vector<Finding>& findings, const std::vector<const Condition*>& fleet,
                 std::size_t collectors, std::chrono::milliseconds watch, std::ostream& out);
void render_json(const std::vector<Finding>& findings, const std::vector<const Condition*>& fleet,
                 std::size_t collectors, std::chrono::milliseconds watch, std::ostream& out);

}  // namespace virtnet
