#include "exporter/config/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "exporter/collector_registry.h"
#include "tests/support/test_collectors.h"

namespace virtnet {
namespace {

class Dummy : public Collector {
 public:
  std::string_view name() const override { return "dummy"; }
  CollectStatus collect(MetricSink&) override { return CollectStatus::kOk; }
};

std::vector<CollectorInfo> registry() {
  auto make = [](const CollectorOptions&, const Sources&) -> std::unique_ptr<Collector> {
    return std::make_unique<Dummy>();
  };
  return {
      {"alpha",
       "",
       true,
       {OptionSpec::integer("count", 5, 1, 10, ""), OptionSpec::boolean("flag", false, ""),
        OptionSpec::make("pattern", OptionType::kRegex, "^qemu", ""),
        OptionSpec::make("names", OptionType::kStringList, "a,b", "")},
       make,
       {},
       {},
       {}},
      {"beta", "", false, {}, make, {}, {}, {}},
  };
}

Config parse(const std::string& yaml, const FlagOverrides& flags = {}) {
  return build_config(registry(), "c.yml", yaml, flags);
}

std::string build_error(const std::string& yaml) {
  try {
    build_config(builtin_collectors(), "c.yml", yaml, {});
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string error_of(const std::string& yaml, const FlagOverrides& flags = {}) {
  try {
    parse(yaml, flags);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(Config, DefaultsWithoutFile) {
  auto c = build_config(registry(), "", std::nullopt, {});
  EXPECT_TRUE(c.collectors.at("alpha").enabled);
  EXPECT_FALSE(c.collectors.at("beta").enabled);
  EXPECT_EQ(c.collectors.at("alpha").options.get_int("count"), 5);
  EXPECT_EQ(c.collectors.at("alpha").options.get_list("names"),
            (std::vector<std::string>{"a", "b"}));
}

TEST(Config, EmptyFileIsDefaults) {
  EXPECT_EQ(parse(""), build_config(registry(), "", std::nullopt, {}));
  EXPECT_EQ(parse("collectors:\n"), build_config(registry(), "", std::nullopt, {}));
}

TEST(Config, FileSetsOptionsAndEnables) {
  auto c = parse(
      "collectors:\n"
      "  alpha: {enabled: false, count: 7, flag: true, names: [x]}\n"
      "  beta:\n");
  EXPECT_FALSE(c.collectors.at("alpha").enabled);
  EXPECT_EQ(c.collectors.at("alpha").options.get_int("count"), 7);
  EXPECT_TRUE(c.collectors.at("alpha").options.get_bool("flag"));
  EXPECT_EQ(c.collectors.at("alpha").options.get_list("names"), std::vector<std::string>{"x"});
  EXPECT_TRUE(c.collectors.at("beta").enabled);
}

TEST(Config, ErrorsCarryFileLineColumn) {
  EXPECT_EQ(error_of("colectors: {}\n"),
            "c.yml:1:1: unknown key \"colectors\" (known: collectors)");
  EXPECT_EQ(error_of("collectors:\n  gamma: {}\n"), "c.yml:2:3: unknown collector \"gamma\"");
  EXPECT_EQ(error_of("collectors:\n  alpha:\n    cont: 3\n"),
            "c.yml:3:5: unknown option \"cont\" for collector alpha (known: enabled, count, flag, "
            "pattern, names)");
  EXPECT_EQ(error_of("collectors:\n  alpha:\n    count: lots\n"),
            "c.yml:3:12: count must be an integer");
  EXPECT_EQ(error_of("collectors:\n  alpha:\n    count: 11\n"),
            "c.yml:3:12: count must be between 1 and 10, got 11");
  EXPECT_EQ(error_of("collectors:\n  alpha:\n    flag: [1]\n"),
            "c.yml:3:11: flag must be a boolean");
  EXPECT_EQ(error_of("collectors:\n  alpha:\n    enabled: maybe\n"),
            "c.yml:3:14: enabled must be a boolean");
  EXPECT_EQ(error_of("collectors:\n  alpha:\n    names: [a, [b]]\n"),
            "c.yml:3:16: names must hold only strings");
  EXPECT_EQ(error_of("- 1\n"), "c.yml:1:1: the top level must be a map");
  EXPECT_EQ(error_of("collectors: [1]\n"), "c.yml:1:13: collectors must be a map");
}

TEST(Config, NonStringKeysAreRefused) {
  // Found by fuzz_config: a map used as a key.
  EXPECT_EQ(error_of("collectors: {alpha:,{enabled: falsee}}\n"),
            "c.yml:1:21: keys must be strings");
  EXPECT_EQ(error_of("[a]: 1\n"), "c.yml:1:1: keys must be strings");
}

TEST(Config, BadRegexIsRefused) {
  auto e = error_of("collectors:\n  alpha:\n    pattern: \"qemu(\"\n");
  EXPECT_EQ(e, "c.yml:3:14: invalid regular expression \"qemu(\": missing ): qemu(");
}

TEST(Config, SyntaxErrorHasPosition) {
  auto e = error_of("collectors:\n  alpha: {count: 3\n");
  EXPECT_EQ(e.rfind("c.yml:3:1: ", 0), 0u) << e;
}

TEST(Config, FlagsOverrideTheFile) {
  FlagOverrides f;
  f.enabled["alpha"] = true;
  f.enabled["beta"] = false;
  f.options["alpha.count"] = "9";
  f.options["alpha.flag"] = "false";
  auto c = parse("collectors:\n  alpha: {enabled: false, count: 2, flag: true}\n  beta: {}\n", f);
  EXPECT_TRUE(c.collectors.at("alpha").enabled);
  EXPECT_FALSE(c.collectors.at("beta").enabled);
  EXPECT_EQ(c.collectors.at("alpha").options.get_int("count"), 9);
  EXPECT_FALSE(c.collectors.at("alpha").options.get_bool("flag"));
}

TEST(Config, BadFlagValues) {
  FlagOverrides f;
  f.options["alpha.count"] = "0";
  EXPECT_EQ(error_of("", f), "flag --collector.alpha.count: count must be between 1 and 10, got 0");
  f.options["alpha.count"] = "3";
  f.options["alpha.pattern"] = "[";
  EXPECT_NE(error_of("", f).find("flag --collector.alpha.pattern: invalid regular expression"),
            std::string::npos);
}

TEST(Config, DisableDefaults) {
  FlagOverrides f;
  f.disable_defaults = true;
  auto c = parse("collectors:\n  beta: {}\n", f);
  EXPECT_FALSE(c.collectors.at("alpha").enabled);
  EXPECT_TRUE(c.collectors.at("beta").enabled);
}

TEST(Config, MissingFile) {
  try {
    load_config(registry(), "/nonexistent/virtnet.yml", {});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/virtnet.yml: cannot open: No such file or directory");
  }
}

std::string read_error(const std::string& path) {
  try {
    read_config_file(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

// Each of these passed --config.check, hung it or aborted the exporter.
TEST(Config, FilesThatAreNotConfigurations) {
  char dir[] = "/tmp/virtnet-config-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string d = dir;
  EXPECT_EQ(read_error(d), d + ": is a directory, not a regular file");
  ASSERT_EQ(mkfifo((d + "/fifo").c_str(), 0600), 0);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(read_error(d + "/fifo"), d + "/fifo: is a FIFO, not a regular file");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));  // no writer: no wait
  EXPECT_EQ(read_error("/dev/zero"), "/dev/zero: is a character device, not a regular file");
  // A regular file to stat, with size 0, that cannot be read.
  EXPECT_EQ(read_error("/proc/self/mem"), "/proc/self/mem: cannot read: Input/output error");
  std::ofstream(d + "/empty").close();
  EXPECT_NE(read_error(d + "/empty").find("is empty"), std::string::npos);
  {
    std::ofstream big(d + "/big");
    big << "collectors:\n" << std::string(kMaxConfigBytes, '#') << "\n";
  }
  EXPECT_NE(read_error(d + "/big").find("larger than 1048576 bytes"), std::string::npos);
  {
    std::ofstream ok(d + "/ok.yml");
    ok << "collectors:\n  beta: {}\n";
  }
  EXPECT_EQ(read_config_file(d + "/ok.yml"), "collectors:\n  beta: {}\n");
  for (auto f : {"/fifo", "/empty", "/big", "/ok.yml"}) unlink((d + f).c_str());
  rmdir(dir);
}

TEST(Config, DuplicateKeysAreRefusedWithBothPositions) {
  EXPECT_EQ(error_of("collectors:\n  alpha: {enabled: true}\n  alpha: {enabled: false}\n"),
            "c.yml:3:3: duplicate key \"alpha\" (first at line 2, column 3)");
  EXPECT_EQ(error_of("collectors:\n  alpha:\n    count: 2\n    count: 3\n"),
            "c.yml:4:5: duplicate key \"count\" (first at line 3, column 5)");
  EXPECT_EQ(error_of("collectors: {}\ncollectors: {}\n"),
            "c.yml:2:1: duplicate key \"collectors\" (first at line 1, column 1)");
  // Inside a structured option (process groups are a list of maps).
  EXPECT_NE(
      build_error("collectors:\n  process:\n    groups:\n      - {name: a, name: b, comm: [x]}\n")
          .find("duplicate key \"name\""),
      std::string::npos);
}

TEST(Config, AliasExpansionIsBounded) {
  // Each level refers to the one before nine times: 9^8 values once expanded.
  std::string y = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 8; ++i) {
    y += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k) y += (k ? ", *a" : "*a") + std::to_string(i - 1);
    y += "]\n";
  }
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_NE(error_of(y).find("more than 100000 values"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST(Config, BuiltinDefaultsAreValid) {
  // Every shipped default must parse under its own schema.
  EXPECT_NO_THROW(build_config(builtin_collectors(), "", std::nullopt, {}));
  EXPECT_NO_THROW(build_config(virtnet::testing::misbehaving_collectors(), "", std::nullopt, {}));
}

}  // namespace
}  // namespace virtnet
