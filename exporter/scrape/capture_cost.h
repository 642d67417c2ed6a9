#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "exporter/scrape/metric_sink.h"
#include "exporter/sources/cpu_budget.h"

namespace virtnet {

// What a capture thread costs, the same for every capturing collector: the frames the kernel
// dropped, by reason, the time the CPU budget held the capture back, the thread's CPU. Written
// by the capture thread, read by scrapes.
struct CaptureCost {
  std::atomic<std::uint64_t> dropped_full{0}, dropped_budget{0};
  std::atomic<double> held_seconds{0}, cpu_seconds{0};

  void add_drops(DropWatch::Reading r) { (r.budget ? dropped_budget : dropped_full) += r.frames; }
  // Called from the capture thread: its CPU time is the thread's own.
  void note(const CpuBudget& budget) {
    held_seconds = budget.held_seconds();
    cpu_seconds = thread_cpu_seconds();
  }
};

// The three families, named by each collector: <prefix>_packets_dropped_total,
// <prefix>_capture_held_seconds_total, <prefix>_capture_cpu_seconds_total.
struct CaptureCostMetrics {
  MetricDef dropped, held, cpu;
};
constexpr CaptureCostMetrics capture_cost_metrics(std::string_view dropped, std::string_view held,
                                                  std::string_view cpu) {
  return {MetricDef::counter(dropped,
                             "Frames the kernel dropped because a capture socket's buffer was "
                             "full, by reason: cpu_budget (the capture was held back at its CPU "
                             "budget meanwhile), buffer_full (it was not)."),
          MetricDef::counter(held,
                             "Seconds the capture was held back at its CPU budget "
                             "(capture_cpu_percent)."),
          MetricDef::counter(cpu, "CPU time the capture thread has used.")};
}

void emit_capture_cost(MetricSink& out, const CaptureCostMetrics& m, const CaptureCost& c);

}  // namespace virtnet
