#include "exporter/sources/cpu_budget.h"

#include <time.h>

#include <algorithm>

namespace virtnet {

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

CpuBudget::Allow CpuBudget::allow() {
  const auto now = Clock::now();
  if (now - window_ >= std::chrono::seconds(1)) {
    if (held_since_) {
      held_ += std::max(
          0.0,
          std::chrono::duration<double>(window_ + std::chrono::seconds(1) - *held_since_).count());
      held_since_.reset();
    }
    window_ = now;
    cpu_at_window_ = thread_cpu_seconds();
    return Allow::kAll;
  }
  if (fraction_ >= 1) return Allow::kAll;
  const double used = thread_cpu_seconds() - cpu_at_window_;
  const Allow a = used < fraction_ * (1 - reserved_) ? Allow::kAll
                  : used < fraction_                 ? Allow::kPriorityOnly
                                                     : Allow::kNothing;
  if (a != Allow::kAll && !held_since_) held_since_ = now;
  return a;
}

std::chrono::milliseconds CpuBudget::until_next_window() const {
  const auto left = window_ + std::chrono::seconds(1) - Clock::now();
  return std::max(std::chrono::milliseconds(1), std::chrono::ceil<std::chrono::milliseconds>(left));
}

OptionSpec capture_cpu_option() {
  return OptionSpec::integer(
      "capture_cpu_percent", 10, 1, 100,
      "The most CPU the capture may take, percent of one core; past it, frames wait in the "
      "socket's buffer and then the kernel drops them, counted (reason cpu_budget).");
}

double capture_cpu_fraction(const CollectorOptions& o) {
  return static_cast<double>(o.get_int("capture_cpu_percent")) / 100;
}

double CpuBudget::held_seconds() const {
  if (!held_since_) return held_;
  return held_ + std::chrono::duration<double>(Clock::now() - *held_since_).count();
}

}  // namespace virtnet
