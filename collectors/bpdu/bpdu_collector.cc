#include "collectors/bpdu/bpdu_collector.h"

#include <linux/capability.h>
#include <poll.h>
#include <re2/re2.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "collectors/bpdu/bpdu_parse.h"
#include "exporter/scrape/background.h"
#include "exporter/scrape/capture_cost.h"
#include "exporter/sources/cpu_budget.h"
#include "exporter/sources/packet_capture.h"
#include "exporter/sources/poll_timeout.h"

namespace virtnet::bpdu {

namespace {

constexpr auto kFrames = MetricDef::counter(
    "virtnet_bpdu_frames_total",
    "Spanning-tree BPDUs captured, by interface, direction (received: into this host; on a tap, "
    "from the instance) and kind.");
constexpr auto kLastFrame = MetricDef::gauge("virtnet_bpdu_last_frame_timestamp_seconds",
                                             "When the last such BPDU was captured.");
constexpr auto kInstanceFrames = MetricDef::counter(
    "virtnet_bpdu_instance_frames_total",
    "BPDUs sent by instances: received on an interface matching instance_interfaces (their "
    "taps). A bridge with STP off forwards them to the physical switch. Never evicted: it "
    "counts on for as long as the exporter runs.");
constexpr auto kUntracked = MetricDef::counter(
    "virtnet_bpdu_instance_frames_untracked_total",
    "BPDUs sent by instances past max_instances interfaces: counted here, not per interface.");
constexpr auto kRejected =
    MetricDef::counter("virtnet_bpdu_frames_rejected_total",
                       "Frames to a spanning-tree address that are not BPDUs, by reason.");
constexpr auto kCost = capture_cost_metrics("virtnet_bpdu_packets_dropped_total",
                                            "virtnet_bpdu_capture_held_seconds_total",
                                            "virtnet_bpdu_capture_cpu_seconds_total");

// IEEE spanning tree and Cisco PVST+ destinations.
constexpr const char* kFilter = "ether dst 01:80:c2:00:00:00 or ether dst 01:00:0c:cc:cc:cd";

struct Key {
  std::string interface;
  bool outgoing = false;
  Kind kind = Kind::kConfig;
  bool operator==(const Key&) const = default;
};
struct KeyHash {
  std::size_t operator()(const Key& k) const {
    return std::hash<std::string>{}(k.interface) ^ (static_cast<std::size_t>(k.kind) << 1) ^
           static_cast<std::size_t>(k.outgoing);
  }
};
struct Seen {
  std::uint64_t frames = 0;
  double last = 0;  // Unix time
};

// A (interface, direction, kind) seen this often is established: no newcomer evicts it.
constexpr std::uint64_t kEstablishedAfter = 3;

struct Shared {
  Shared(std::size_t cap, std::size_t instances, const std::string& instance_re, double cpu)
      : state(cap),
        from_instances(instances),
        instance_cap(instances),
        instance(instance_re),
        cpu_fraction(cpu) {}
  BoundedState<Key, Seen, KeyHash> state;
  // Counted apart, per interface, so that evicting one (interface, direction, kind) of `state`
  // never lowers it: a counter going down reads as a reset, and rate() as a burst. Never evicted:
  // past its cap, frames from further interfaces are counted in `untracked`.
  BoundedState<std::string, Seen> from_instances;
  const std::size_t instance_cap;
  const RE2 instance;
  const double cpu_fraction;
  std::unique_ptr<PacketCapture> capture;
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Reject::kCount)> rejected{};
  std::atomic<std::uint64_t> untracked{0};
  CaptureCost cost;
};

void capture_loop(const std::shared_ptr<Shared>& s, const StopSignal& stop) {
  PacketCapture& c = *s->capture;
  CpuBudget budget(s->cpu_fraction, 0);
  DropWatch drops;
  std::size_t instances = 0;  // entries of from_instances (this thread alone adds them)
  using TimePoint = std::chrono::steady_clock::time_point;
  // The drops and the cost are looked at a second after frames were read, and each second while
  // the budget holds the capture back: nothing of theirs changes otherwise, and the thread sleeps
  // until a frame comes.
  std::optional<TimePoint> next_stats;
  while (!stop.raised()) {
    const auto now = std::chrono::steady_clock::now();
    const bool reading = budget.allow() == CpuBudget::Allow::kAll;
    pollfd fds[2] = {{stop.fd(), POLLIN, 0}, {c.fd(), POLLIN, 0}};
    // Held back at the budget: the socket is not even polled until the window ends.
    std::optional<TimePoint> window;
    if (!reading) {
      window = now + budget.until_next_window();
      if (!next_stats) next_stats = now + std::chrono::seconds(1);
    }
    // Waiting with the socket drained: the state is current until a frame comes.
    if (reading) s->state.mark_waiting();
    const int n = ::poll(fds, reading ? 2 : 1, poll_timeout_ms({window, next_stats}));
    s->state.mark_updated();
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    if (fds[0].revents & POLLIN) break;
    const bool ok = !reading || fds[1].revents == 0 || c.dispatch([&](const Frame& f) {
      const ParseResult r = parse_frame(f.bytes);
      if (r.reject != Reject::kNone) {
        ++s->rejected[static_cast<std::size_t>(r.reject)];
        return;
      }
      const double when =
          f.when > 0
              ? f.when
              : std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                    .count();
      const std::string& iface = c.interface_name(f.ifindex, when);
      auto count = [&](Seen& v) {
        ++v.frames;
        v.last = when;
        return v.frames >= kEstablishedAfter;
      };
      s->state.update({iface, f.outgoing, r.kind}, count);
      if (!f.outgoing && RE2::PartialMatch(iface, s->instance)) {
        if (s->from_instances.update_existing(iface, count)) return;
        if (instances >= s->instance_cap) {
          ++s->untracked;
          return;
        }
        ++instances;
        s->from_instances.update(iface, count);
      }
    });
    if (!ok) throw std::runtime_error(c.error());
    const bool read_some = reading && fds[1].revents != 0 && c.last_read() > 0;
    if (read_some && !next_stats) {
      next_stats = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    }
    if (next_stats && std::chrono::steady_clock::now() >= *next_stats) {
      const auto d = drops.read(c.dropped(), budget.held_seconds());
      s->cost.add_drops(d);
      s->cost.note(budget);
      next_stats.reset();
    }
    const bool busy = reading && fds[1].revents != 0 && c.last_read() >= PacketCapture::kBatch;
    if (busy && !stop.sleep_for(kBusyPause)) break;
  }
}

class BpduCollector : public Collector {
 public:
  explicit BpduCollector(const CollectorOptions& o)
      : shared_(std::make_shared<Shared>(static_cast<std::size_t>(o.get_int("max_interfaces")),
                                         static_cast<std::size_t>(o.get_int("max_instances")),
                                         o.get_string("instance_interfaces"),
                                         capture_cpu_fraction(o))) {}

  std::string_view name() const override { return "bpdu"; }

  void start() override {
    shared_->capture = std::make_unique<PacketCapture>(kFilter);
    try {
      thread_.start([s = shared_](const StopSignal& stop) { capture_loop(s, stop); });
    } catch (...) {
      shared_->capture.reset();
      throw;
    }
  }

  void stop() override { thread_.request_stop(); }
  bool join(std::chrono::steady_clock::time_point deadline) override {
    return thread_.join_until(deadline);
  }

  CollectStatus collect(MetricSink& out) override {
    const auto snap = shared_->state.snapshot();
    for (const auto& [k, v] : snap.entries) {
      const Labels labels{{"interface", k.interface},
                          {"direction", k.outgoing ? "sent" : "received"},
                          {"kind", std::string(kind_name(k.kind))}};
      out.add(kFrames, static_cast<double>(v.frames), labels);
      out.add(kLastFrame, v.last, labels);
    }
    const auto instances = shared_->from_instances.snapshot();
    for (const auto& [iface, v] : instances.entries) {
      out.add(kInstanceFrames, static_cast<double>(v.frames), {{"interface", iface}});
    }
    out.add(kUntracked, static_cast<double>(shared_->untracked.load()));
    for (std::size_t i = 1; i < static_cast<std::size_t>(Reject::kCount); ++i) {
      const auto r = static_cast<Reject>(i);
      out.add(kRejected, static_cast<double>(shared_->rejected[i].load()),
              {{"reason", std::string(reject_name(r))}});
    }
    emit_capture_cost(out, kCost, shared_->cost);
    emit_background_health(out, "bpdu", "interfaces", snap);
    emit_background_health(out, "bpdu", "instances", instances);
    // Whatever stopped the capture is the reason from then on.
    if (auto why = thread_.failure(); !why.empty()) return out.fail("capture stopped: " + why);
    return CollectStatus::kOk;
  }

 private:
  std::shared_ptr<Shared> shared_;
  BackgroundThread thread_{"bpdu"};
};

}  // namespace

CollectorInfo bpdu_info() {
  return {
      "bpdu",
      "Spanning-tree BPDUs (IEEE and PVST+) captured on every interface, by direction: an "
      "instance sending them through its tap. Needs CAP_NET_RAW.",
      false,
      {OptionSpec::make("instance_interfaces", OptionType::kRegex, "^(tap|vnet)",
                        "Interfaces that belong to instances (Nova's tap*, libvirt's vnet*): "
                        "BPDUs received on them come from a guest."),
       OptionSpec::integer("max_interfaces", 256, 1, 65536,
                           "The most (interface, direction, kind) tracked; beyond it, the least "
                           "recently seen newcomer (fewer than 3 BPDUs) is dropped, and counted."),
       OptionSpec::integer("max_instances", 4096, 1, 65536,
                           "The most instance interfaces whose BPDUs are counted one by one "
                           "(virtnet_bpdu_instance_frames_total, never evicted); further ones "
                           "are counted together."),
       capture_cpu_option()},
      [](const CollectorOptions& o, const Sources&) -> std::unique_ptr<Collector> {
        return std::make_unique<BpduCollector>(o);
      },
      [](const CollectorOptions&) {
        return std::vector<CapabilityNeed>{{CAP_NET_RAW, "to capture BPDUs (AF_PACKET)"}};
      },
      {kFrames, kLastFrame, kInstanceFrames, kUntracked, kRejected, kCost.dropped, kCost.held,
       kCost.cpu},
      bpdu_conditions(),
  };
}

}  // namespace virtnet::bpdu
