#include "exporter/config.h"

#include <gtest/gtest.h>

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
       make},
      {"beta", "", false, {}, make},
  };
}

Config parse(const std::string& yaml, const FlagOverrides& flags = {}) {
  return build_config(registry(), "c.yml", yaml, flags);
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

TEST(Config, BuiltinDefaultsAreValid) {
  // Every shipped default must parse under its own schema.
  EXPECT_NO_THROW(build_config(builtin_collectors(), "", std::nullopt, {}));
  EXPECT_NO_THROW(build_config(virtnet::testing::misbehaving_collectors(), "", std::nullopt, {}));
}

}  // namespace
}  // namespace virtnet
