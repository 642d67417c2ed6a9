#include "exporter/findings/findings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

#include "exporter/collector_registry.h"
#include "exporter/config/rule_settings.h"
#include "exporter/scrape/metric_sink.h"

// Designated initializers name what each test condition sets.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace virtnet {
namespace {

using Families = std::vector<prometheus::MetricFamily>;

std::vector<ConditionGroup> shipped() { return condition_groups(builtin_collectors()); }

const Condition& find(const std::vector<ConditionGroup>& groups, const std::string& alert) {
  for (const auto& g : groups) {
    for (const auto& c : g.conditions) {
      if (c.alert == alert) return c;
    }
  }
  throw std::out_of_range(alert);
}

std::size_t count(const std::vector<Finding>& f, const std::string& alert) {
  return std::count_if(f.begin(), f.end(), [&](const Finding& x) { return x.def->alert == alert; });
}

Families links_and_qemu(double wait_vcpu, double wait_main) {
  MetricSink m;
  const auto headroom = MetricDef::gauge("virtnet_link_mtu_headroom_bytes", "");
  m.add(headroom, -100, {{"netns", ""}, {"link", "vx0"}});
  m.add(headroom, -7500, {{"netns", ""}, {"link", "tapj"}});
  m.add(headroom, 0, {{"netns", ""}, {"link", "eth0"}});
  const auto vhost = MetricDef::gauge("virtnet_qemu_netdev_vhost", "");
  m.add(vhost, 0, {{"domain", "vm1"}, {"netdev", "net0"}});
  m.add(vhost, 1, {{"domain", "vm2"}, {"netdev", "net0"}});
  const auto wait = MetricDef::counter("virtnet_qemu_run_queue_wait_seconds_total", "");
  m.add(wait, wait_vcpu, {{"domain", "vm1"}, {"class", "vcpu"}});
  m.add(wait, wait_main, {{"domain", "vm1"}, {"class", "main"}});
  return m.take();
}

TEST(Findings, WorstFirstWithCulpritAndNextCheck) {
  const auto g = shipped();  // the findings point into it
  const auto f = evaluate(g, links_and_qemu(0, 0), links_and_qemu(5, 50), 10);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0].def->alert, "VirtnetLinkMtuHeadroomNegative");
  EXPECT_EQ(f[0].labels.at("link"), "tapj");  // -7500 before -100
  EXPECT_EQ(f[1].labels.at("link"), "vx0");
  EXPECT_EQ(f[0].description,
            "Link tapj (netns \"\") has -7500 bytes of MTU headroom: the device with the smallest "
            "MTU on its way down cannot carry its full-size frames.");
  EXPECT_NE(f[0].next_check.find("ip -d link show tapj;"), std::string::npos);
  EXPECT_EQ(f[2].def->alert, "VirtnetQemuNetdevUserspace");
  EXPECT_EQ(f[2].labels.at("domain"), "vm1");
  // 5 s of vCPU wait over 10 s: 0.5 s/s, over 0.25; the main thread's 5 s/s is not a vCPU.
  EXPECT_EQ(f[3].def->alert, "VirtnetQemuVcpuRunQueueWait");
  EXPECT_DOUBLE_EQ(f[3].value, 0.5);
  EXPECT_EQ(f[3].labels.at("class"), "vcpu");
}

TEST(Findings, RatesNeedTwoCollectionsAndAWindow) {
  const auto g = shipped();
  const std::string a = "VirtnetQemuVcpuRunQueueWait";
  EXPECT_EQ(count(evaluate(g, links_and_qemu(0, 0), links_and_qemu(1, 0), 10), a), 0u);  // 0.1/s
  EXPECT_EQ(count(evaluate(g, links_and_qemu(0, 0), links_and_qemu(50, 0), 0), a),
            0u);  // no window
  EXPECT_EQ(count(evaluate(g, links_and_qemu(9, 0), links_and_qemu(1, 0), 10), a), 0u);  // a reset
  EXPECT_EQ(count(evaluate(g, {}, links_and_qemu(50, 0), 10), a), 0u);  // not seen before
}

Families sockstat(double orphans, double orphans_limit, double tcp_mem, double pressure) {
  MetricSink m;
  m.add(MetricDef::gauge("virtnet_sockstat_tcp_orphans", ""), orphans, {});
  m.add(MetricDef::gauge("virtnet_sockstat_tcp_orphans_limit", ""), orphans_limit, {});
  m.add(MetricDef::gauge("virtnet_sockstat_memory_bytes", ""), tcp_mem, {{"protocol", "tcp"}});
  m.add(MetricDef::gauge("virtnet_sockstat_memory_bytes", ""), 4 * tcp_mem, {{"protocol", "udp"}});
  const auto limit = MetricDef::gauge("virtnet_sockstat_tcp_memory_limit_bytes", "");
  m.add(limit, pressure, {{"threshold", "pressure"}});
  m.add(limit, 2 * pressure, {{"threshold", "max"}});
  return m.take();
}

TEST(Findings, ARatioOfTwoSeriesJoinedOnTheHost) {
  const auto g = shipped();
  auto f = evaluate(g, {}, sockstat(900, 1000, 2e8, 1e8), 10);
  ASSERT_EQ(count(f, "VirtnetTcpOrphansNearLimit"), 1u);
  ASSERT_EQ(count(f, "VirtnetTcpMemoryPressure"), 1u);
  EXPECT_DOUBLE_EQ(f[0].value, 0.9);
  EXPECT_NE(f[0].description.find("at 90% of tcp_max_orphans"), std::string::npos)
      << f[0].description;
  EXPECT_DOUBLE_EQ(f[1].value, 2);  // tcp's 2e8 over the pressure threshold, not udp's or max's
  // Below both, and a zero limit (the sysctl unreadable) judged as nothing rather than infinity.
  EXPECT_TRUE(evaluate(g, {}, sockstat(700, 1000, 0.9e8, 1e8), 10).empty());
  EXPECT_TRUE(evaluate(g, {}, sockstat(700, 0, 0.9e8, 0), 10).empty());
}

Families top(double fds, double max_fds, double mapped, const std::string& pid = "42") {
  MetricSink m;
  const Labels who{{"pid", pid}, {"comm", "leaker"}, {"group", ""}};
  m.add(MetricDef::gauge("virtnet_process_top_open_fds", ""), fds, who);
  m.add(MetricDef::gauge("virtnet_process_top_max_fds", ""), max_fds, who);
  m.add(MetricDef::gauge("virtnet_process_top_fd_usage_ratio", ""), fds / max_fds, who);
  m.add(MetricDef::gauge("virtnet_process_top_mapped_bytes", ""), mapped, who);
  return m.take();
}

TEST(Findings, ATrendAgainstTheProcesssOwnLimit) {
  const auto g = shipped();
  const std::string a = "VirtnetProcessFdsExhaustionPredicted";
  // 100 to 110 fds in 10 s: 1 a second, 14500 in 4 h, past its 1024.
  auto f = evaluate(g, top(100, 1024, 1e6), top(110, 1024, 1e6), 10);
  ASSERT_EQ(count(f, a), 1u);
  EXPECT_EQ(f[0].labels.at("pid"), "42");
  EXPECT_NE(f[0].description.find("will hold 14510 fds in 4 h"), std::string::npos)
      << f[0].description;
  // A limit of a million holds; a flat count never reaches 1024; another pid's limit is not its.
  EXPECT_EQ(count(evaluate(g, top(100, 1e6, 1e6), top(110, 1e6, 1e6), 10), a), 0u);
  EXPECT_EQ(count(evaluate(g, top(900, 1024, 1e6), top(900, 1024, 1e6), 10), a), 0u);
  auto other = top(110, 1024, 1e6, "43");
  auto mine = top(110, 1e6, 1e6);
  other.insert(other.end(), mine.begin(), mine.end());
  EXPECT_EQ(count(evaluate(g, top(100, 1024, 1e6), other, 10), a), 0u);
  // A watch too short to tell a slope from noise projects nothing.
  EXPECT_EQ(count(evaluate(g, top(100, 1024, 1e6), top(110, 1024, 1e6), 2), a), 0u);
}

TEST(Findings, AGuardMustHoldToo) {
  const auto g = shipped();
  const std::string a = "VirtnetProcessMappedMemoryGrowing";
  constexpr double kGiB = 1073741824;
  // 1 MiB a second: +21 GiB in 6 h, more than twice 2 GiB, and over the 1 GiB guard.
  auto f = evaluate(g, top(10, 1e6, 2 * kGiB), top(10, 1e6, 2 * kGiB + 10 * 1048576), 10);
  ASSERT_EQ(count(f, a), 1u);
  EXPECT_NE(f[0].description.find("(23.1GiB then)"), std::string::npos) << f[0].description;
  // The same pace from 100 MiB doubles it too, but under the guard it is not worth a page.
  EXPECT_EQ(count(evaluate(g, top(10, 1e6, 1e8), top(10, 1e6, 1e8 + 10 * 1048576), 10), a), 0u);
}

// The labels are read where the samples keep them: a matcher takes an absent label as "", as
// PromQL does, and a join by `on` needs every one of those labels to agree, absent or not.
TEST(Findings, MatchersAndJoinsReadTheLabelsAsPromQLDoes) {
  std::vector<ConditionGroup> g(1);
  g[0].name = "virtnet_test";
  g[0].conditions.push_back(Condition{
      .alert = "TestOverLimit",
      .severity = "warning",
      .description = "{dev} in {zone} at {value}",
      .culprit = {"dev"},
      .term = {.metric = "t_used",
               .only = {{"zone", "=", ""}, {"kind", "!~", "ign.*"}, {"dev", "=~", "d[0-9]"}}},
      .cmp = Cmp::kGt,
      .limit = Term{.metric = "t_max"},
      .on = {"dev", "zone"}});
  MetricSink m;
  const auto used = MetricDef::gauge("t_used", "");
  const auto max = MetricDef::gauge("t_max", "");
  m.add(used, 10, {{"dev", "d1"}});                       // no zone, no kind: kept
  m.add(used, 10, {{"dev", "d2"}, {"kind", "ignored"}});  // !~ drops it
  m.add(used, 10, {{"dev", "d3"}, {"zone", "z"}});        // zone = "" drops it
  m.add(used, 10, {{"dev", "dx"}});                       // =~ is anchored: "dx" is not d[0-9]
  m.add(used, 10, {{"dev", "d4"}, {"zone", ""}});         // "" as present as absent
  m.add(max, 5, {{"dev", "d1"}});
  m.add(max, 5, {{"dev", "d2"}});
  m.add(max, 5, {{"dev", "d3"}, {"zone", "z"}});
  m.add(max, 5, {{"dev", "dx"}});
  m.add(max, 50, {{"dev", "d4"}, {"zone", "other"}});  // another zone: no limit of d4's
  m.add(max, 5, {{"dev", "d4"}});
  const auto f = evaluate(g, {}, m.take(), 10);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].labels, (std::map<std::string, std::string>{{"dev", "d1"}}));
  EXPECT_EQ(f[0].description, "d1 in  at 10");
  EXPECT_EQ(f[1].labels.at("dev"), "d4");
}

TEST(Findings, FleetWideConditionsAreLeftToPrometheus) {
  const auto g = shipped();
  std::set<std::string> fleet;
  for (const auto* c : fleet_only(g)) fleet.insert(c->alert);
  EXPECT_EQ(fleet,
            (std::set<std::string>{"VirtnetVrrpSplitBrainAcrossHosts", "VirtnetExporterDown"}));
  MetricSink m;
  m.add(MetricDef::gauge("up", ""), 0, {});
  EXPECT_TRUE(evaluate(g, {}, m.take(), 10).empty());
}

TEST(Findings, OverridesChangeThresholdsDurationsSeverityAndNarrowTheSeries) {
  RuleSettings s = parse_rule_settings(R"(
selector: 'job="hv", env="prod"'
runbook_url: https://wiki.example/runbooks/{alert}
alerts:
  VirtnetLinkMtuMismatch:
    matchers: ['link!="bond0"']
  VirtnetTcpOrphansNearLimit:
    threshold: 0.5
    for: 1m
    severity: critical
  VirtnetDomainCrashed:
    disabled: true
)",
                                       "overrides.yml");
  const auto g = apply_overrides(shipped(), s);
  const std::string y = rules_yaml(g, s);
  EXPECT_EQ(y.find("VirtnetDomainCrashed"), std::string::npos);
  EXPECT_NE(y.find("expr: \"virtnet_link_mtu_mismatch_bytes{link!=\\\"bond0\\\",job=\\\"hv\\\","
                   "env=\\\"prod\\\"} != 0\""),
            std::string::npos)
      << y;
  const Condition& o = find(g, "VirtnetTcpOrphansNearLimit");
  EXPECT_EQ(o.threshold, 0.5);
  EXPECT_EQ(o.for_duration, "1m");
  EXPECT_EQ(o.severity, "critical");
  EXPECT_NE(y.find("runbook_url: \"https://wiki.example/runbooks/VirtnetLinkMtuMismatch\""),
            std::string::npos);
  EXPECT_NE(y.find("up{job=\\\"hv\\\",env=\\\"prod\\\"} == 0"), std::string::npos);

  // The matcher leaves the deliberate bond out of diagnose too, and only it.
  MetricSink m;
  const auto mismatch = MetricDef::gauge("virtnet_link_mtu_mismatch_bytes", "");
  m.add(mismatch, -7500, {{"netns", ""}, {"link", "bond0"}, {"other", "br-ex"}});
  m.add(mismatch, -50, {{"netns", ""}, {"link", "eth1"}, {"other", "br-ex"}});
  const auto f = evaluate(g, {}, m.take(), 10);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].labels.at("link"), "eth1");
}

TEST(Findings, AnOverrideThatCannotApplyIsAnError) {
  auto with = [](const std::string& yaml) {
    return apply_overrides(shipped(), parse_rule_settings(yaml, "o.yml"));
  };
  EXPECT_THROW(with("alerts: {VirtnetNoSuchThing: {threshold: 1}}"), std::invalid_argument);
  // Compared with the process's own limit: a threshold would be accepted and do nothing.
  EXPECT_THROW(with("alerts: {VirtnetProcessFdsExhaustionPredicted: {threshold: 1}}"),
               std::invalid_argument);
  EXPECT_THROW(with("alerts: {VirtnetDomainCrashed: {severity: page}}"), std::invalid_argument);
  EXPECT_THROW(with("alerts: {VirtnetDomainCrashed: {for: 5 minutes}}"), std::invalid_argument);
  EXPECT_THROW(with("alerts: {VirtnetExporterDown: {matchers: ['instance!=\"a\"']}}"),
               std::invalid_argument);
  EXPECT_THROW(
      parse_rule_settings("alerts: {VirtnetLinkMtuMismatch: {matchers: 'link=~\"(\"'}}", "o.yml"),
      std::exception);
  EXPECT_THROW(parse_rule_settings("alerts: {VirtnetDomainCrashed: {threshold: high}}", "o.yml"),
               std::exception);
  EXPECT_THROW(parse_rule_settings("selector: 'job=virtnet'", "o.yml"), std::exception);
  EXPECT_THROW(parse_rule_settings("alerts: {VirtnetDomainCrashed: {thresold: 1}}", "o.yml"),
               std::exception);
}

TEST(Findings, RulesComeFromTheSameDefinitionsWithTheSelectorOnEverySeries) {
  const auto g = shipped();
  const std::string y = rules_yaml(g, RuleSettings{});
  for (const auto& grp : g) {
    for (const auto& c : grp.conditions) {
      EXPECT_NE(y.find("- alert: " + c.alert + "\n"), std::string::npos) << c.alert;
      // Every metric name in the expression is followed by the job selector.
      const std::string e = promql(c, RuleSettings{});
      for (std::size_t i = e.find("virtnet_"); i != std::string::npos;
           i = e.find("virtnet_", i + 1)) {
        const auto end = e.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789", i);
        ASSERT_NE(end, std::string::npos) << e;
        EXPECT_EQ(e[end], '{') << c.alert << ": " << e;
        EXPECT_NE(e.find("job=~\"virtnet.*\"", end), std::string::npos) << e;
        i = end;
      }
    }
  }
  EXPECT_NE(y.find("expr: \"rate(virtnet_qemu_run_queue_wait_seconds_total{class=\\\"vcpu\\\","
                   "job=~\\\"virtnet.*\\\"}[5m]) > 0.25\""),
            std::string::npos)
      << y;
  EXPECT_NE(y.find("{{ $labels.link }}"), std::string::npos);
  EXPECT_NE(y.find("{{ $value | humanizePercentage }}"), std::string::npos);
}

bool camel_case(const std::string& s) {
  return !s.empty() && std::isupper(static_cast<unsigned char>(s[0])) &&
         std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

// The conventions monitoring-mixins' mixtool lints (its alert rules), checked on the declarations
// the rule file is made of: CamelCase names with the project's prefix, a known severity, a static
// one-sentence summary, a description naming the culprit from the labels, at most 20 rules a
// group; and more of ours: unique names, a `for`, the culprit labels in the description.
TEST(Findings, ConditionsFollowTheMixinConventions) {
  std::set<std::string> names;
  std::size_t total = 0;
  for (const auto& g : shipped()) {
    EXPECT_LE(g.conditions.size(), 20u) << g.name;
    EXPECT_EQ(g.name.rfind("virtnet_", 0), 0u) << g.name;
    for (const auto& c : g.conditions) {
      ++total;
      SCOPED_TRACE(c.alert);
      EXPECT_TRUE(names.insert(c.alert).second) << "twice";
      EXPECT_EQ(c.alert.rfind("Virtnet", 0), 0u);
      EXPECT_TRUE(camel_case(c.alert));
      EXPECT_TRUE(c.severity == "critical" || c.severity == "warning" || c.severity == "info");
      ASSERT_FALSE(c.summary.empty());
      EXPECT_TRUE(std::isupper(static_cast<unsigned char>(c.summary[0])));
      EXPECT_EQ(c.summary.back(), '.');
      EXPECT_EQ(c.summary.find('{'), std::string::npos) << "a static summary";
      EXPECT_EQ(c.summary.find(". "), std::string::npos) << "one sentence";
      EXPECT_NE(c.description.find('{'), std::string::npos) << "a templated description";
      EXPECT_EQ(c.description.back(), '.');
      for (const auto& l : c.culprit) {
        EXPECT_NE(c.description.find("{" + l + "}"), std::string::npos) << l;
      }
      EXPECT_FALSE(c.for_duration.empty());
      EXPECT_FALSE(c.next_check.empty());
    }
  }
  EXPECT_GE(total, 24u);
}

}  // namespace
}  // namespace virtnet
