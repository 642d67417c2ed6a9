#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "exporter/common/options.h"

namespace virtnet {

// The CPU a capture thread may take: `fraction` of one core, counted in windows of one second of
// the thread's own CPU time (CLOCK_THREAD_CPUTIME_ID). Past it, the thread reads nothing until
// the window ends: the frames wait in the socket's buffer, and past it the kernel drops them (and
// counts them), so a flood costs no more than the share whatever its rate. The last `reserved` of
// the share is for a priority capture alone (the routers already established), so that a flood
// on the general one cannot take it.
class CpuBudget {
 public:
  using Clock = std::chrono::steady_clock;
  explicit CpuBudget(double fraction, double reserved = 0.2)
      : fraction_(fraction), reserved_(reserved) {}

  enum class Allow { kAll, kPriorityOnly, kNothing };
  // What may be read now.
  Allow allow();
  // Until the window ends: how long a held-back thread waits before asking again.
  std::chrono::milliseconds until_next_window() const;
  // Seconds some capture was held back since the start.
  double held_seconds() const;
  double fraction() const { return fraction_; }

 private:
  double fraction_, reserved_;
  Clock::time_point window_{};
  double cpu_at_window_ = 0;  // seconds of the thread's CPU when the window began
  std::optional<Clock::time_point> held_since_;
  double held_ = 0;
};

// How long a capture thread that read a full batch waits before reading again: the frames that
// keep coming pile up in the socket's buffer (175,000 a second fill 350 in 2 ms, a third of the
// buffer) and are read many at a call, not a call or two each. Their times are the kernel's, so
// the wait changes no gap measured.
inline constexpr std::chrono::milliseconds kBusyPause{2};

// The calling thread's CPU time, seconds.
double thread_cpu_seconds();

// The option of every capturing collector, the same for each: capture_cpu_percent.
OptionSpec capture_cpu_option();
double capture_cpu_fraction(const CollectorOptions& o);

// A capture's kernel drops since the last look, and why: the budget held the capture back
// meanwhile (`budget`), or its buffer overflowed while it was read.
class DropWatch {
 public:
  struct Reading {
    std::uint64_t frames = 0;
    bool budget = false;
  };
  // `dropped`: the capture's count since its start; `held`: the budget's held_seconds().
  Reading read(std::uint64_t dropped, double held) {
    Reading r{dropped - last_, held > held_};
    last_ = dropped;
    held_ = held;
    return r;
  }

 private:
  std::uint64_t last_ = 0;
  double held_ = 0;
};

}  // namespace virtnet
