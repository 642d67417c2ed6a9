// Random link graphs (loops, self-masters, deep nesting, unknown indexes) through the stack
// computation: no crash, bounded work, and the invariants the collector relies on.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>

#include "collectors/links/links_stack.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace virtnet::links;
  static const char* const kKinds[] = {"",     "vlan", "vxlan",   "geneve",      "bridge",
                                       "bond", "tun",  "veth",    "openvswitch", "gretap",
                                       "gre",  "ipip", "macvlan", "dummy",       "ip6gretap"};
  FuzzedDataProvider in(data, size);
  std::vector<Link> links;
  const int n = in.ConsumeIntegralInRange(0, 48);
  for (int i = 0; i < n && in.remaining_bytes() > 0; ++i) {
    Link l;
    l.ifindex = i + 1;
    l.kind = kKinds[in.ConsumeIntegralInRange<std::size_t>(0, std::size(kKinds) - 1)];
    l.mtu = in.ConsumeIntegralInRange<unsigned>(0, 70000);
    l.lower = in.ConsumeIntegralInRange(-1, n + 1);
    l.master = in.ConsumeIntegralInRange(-1, n + 1);
    l.lower_elsewhere = in.ConsumeBool();
    l.flow_based = in.ConsumeBool();
    l.underlay_ipv6 = in.ConsumeBool();
    links.push_back(l);
  }
  const auto stacks = compute_stacks(links);
  auto fail = [](const char* why) {
    std::fprintf(stderr, "fuzz_links_stack: %s\n", why);
    std::abort();
  };
  if (stacks.size() != links.size()) fail("a link without a stack");
  for (const auto& s : stacks) {
    if (s.path.empty() || s.path.size() > 20) fail("path empty or too long");
    if (s.headroom.has_value() != s.egress.has_value()) fail("headroom without egress");
    if (s.egress && s.path.back() != *s.egress) fail("path does not end at the egress");
  }
  for (const auto& m : find_mismatches(links)) {
    if (m.difference == 0) fail("a mismatch of 0");
  }
  return 0;
}
