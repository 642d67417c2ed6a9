#include "exporter/flags.h"

#include <gtest/gtest.h>

#include <sstream>

#include "exporter/collector_registry.h"

namespace virtnet {
namespace {

struct Run {
  FlagsOutcome outcome;
  std::string out, err;
};

Run run(std::vector<const char*> args) {
  args.insert(args.begin(), "virtnet_exporter");
  std::ostringstream out, err;
  Run r;
  r.outcome =
      parse_flags(static_cast<int>(args.size()), args.data(), builtin_collectors(), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

TEST(Flags, Defaults) {
  auto r = run({});
  ASSERT_TRUE(r.outcome.flags);
  EXPECT_EQ(r.outcome.flags->http.listen_address, ":10120");
  EXPECT_EQ(r.outcome.flags->http.telemetry_path, "/metrics");
  EXPECT_EQ(r.outcome.flags->procfs, "/proc");
  EXPECT_EQ(r.outcome.flags->scrape_timeout, std::chrono::seconds(10));
  EXPECT_TRUE(r.outcome.flags->overrides.enabled.empty());
}

TEST(Flags, PrometheusStyleValues) {
  auto r = run({"--web.listen-address=127.0.0.1:9999", "--path.procfs", "/tmp/p",
                "--log.format=json", "--log.level=debug", "--no-collector.sockstat",
                "--collector.sockstat.tcp-peers-top-n=7", "--collector.sockstat.tcp-peers",
                "--no-collector.sockstat.tcp-states", "--scrape.timeout=1500ms"});
  ASSERT_TRUE(r.outcome.flags) << r.err;
  const auto& f = *r.outcome.flags;
  EXPECT_EQ(f.http.listen_address, "127.0.0.1:9999");
  EXPECT_EQ(f.procfs, "/tmp/p");
  EXPECT_EQ(f.log_format, LogFormat::kJson);
  EXPECT_EQ(f.log_level, LogLevel::kDebug);
  EXPECT_FALSE(f.overrides.enabled.at("sockstat"));
  EXPECT_EQ(f.overrides.options.at("sockstat.tcp_peers_top_n"), "7");
  EXPECT_EQ(f.overrides.options.at("sockstat.tcp_peers"), "true");
  EXPECT_EQ(f.overrides.options.at("sockstat.tcp_states"), "false");
  EXPECT_EQ(f.scrape_timeout, std::chrono::milliseconds(1500));
}

TEST(Flags, HelpAndVersionExitZero) {
  auto h = run({"--help"});
  EXPECT_FALSE(h.outcome.flags);
  EXPECT_EQ(h.outcome.exit_code, 0);
  EXPECT_NE(h.out.find("--web.listen-address"), std::string::npos);
  EXPECT_NE(h.out.find("--no-collector.sockstat"), std::string::npos);
  auto v = run({"--version"});
  EXPECT_EQ(v.outcome.exit_code, 0);
  EXPECT_EQ(v.out.rfind("virtnet_exporter, version ", 0), 0u);
}

TEST(Flags, ErrorsExitOneWithOneLine) {
  for (auto bad : std::vector<std::vector<const char*>>{{"--bogus"},
                                                        {"--log.level=loud"},
                                                        {"--scrape.timeout=soon"},
                                                        {"--web.max-requests=0"}}) {
    auto r = run(bad);
    EXPECT_FALSE(r.outcome.flags) << bad[0];
    EXPECT_EQ(r.outcome.exit_code, 1) << bad[0];
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST(Flags, Durations) {
  EXPECT_EQ(parse_duration("10s"), std::chrono::seconds(10));
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("1.5s"), std::chrono::milliseconds(1500));
  EXPECT_EQ(parse_duration("2m"), std::chrono::minutes(2));
  for (auto bad : {"", "10", "s", "-1s", "0s", "10h", "1e9s"}) {
    EXPECT_THROW(parse_duration(bad), std::invalid_argument) << bad;
  }
}

TEST(Flags, DiagnoseAndRules) {
  auto r = run({"--no-collector.process", "diagnose", "--watch", "2s", "--output=json",
                "--collector.links.netns"});
  ASSERT_TRUE(r.outcome.flags) << r.err;
  EXPECT_EQ(r.outcome.flags->mode, Flags::Mode::kDiagnose);
  EXPECT_EQ(r.outcome.flags->diagnose.watch, std::chrono::seconds(2));
  EXPECT_TRUE(r.outcome.flags->diagnose.json);
  EXPECT_FALSE(r.outcome.flags->overrides.enabled.at("process"));
  EXPECT_EQ(r.outcome.flags->overrides.options.at("links.netns"), "true");
  EXPECT_EQ(run({"diagnose", "--watch=0"}).outcome.flags->diagnose.watch.count(), 0);
  EXPECT_EQ(run({}).outcome.flags->mode, Flags::Mode::kServe);
  EXPECT_EQ(run({"rules"}).outcome.flags->mode, Flags::Mode::kRules);
  // In diagnose an error is 2 (1 means "found something"); elsewhere it stays 1.
  EXPECT_EQ(run({"diagnose", "--output=yaml"}).outcome.exit_code, 2);
  EXPECT_EQ(run({"diagnose", "--watch=soon"}).outcome.exit_code, 2);
  EXPECT_EQ(run({"--output=json"}).outcome.exit_code, 1);
}

}  // namespace
}  // namespace virtnet
