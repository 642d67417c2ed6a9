#include "exporter/common/utf8.h"

#include <gtest/gtest.h>

#include "exporter/common/logging.h"
#include "exporter/common/parse_error.h"

namespace virtnet {
namespace {

const std::string kFFFD = "\xEF\xBF\xBD";

TEST(Utf8, ValidPrefix) {
  struct Case {
    std::string in;
    std::size_t want;
  } cases[] = {
      {"", 0},
      {"qemu-system-x86", 15},
      {"caf\xC3\xA9", 5},
      {"x\xff", 1},
      {"\xC3", 0},               // truncated 2-byte character
      {"\xC0\xAF", 0},           // overlong '/'
      {"\xED\xA0\x80", 0},       // a surrogate
      {"\xF4\x90\x80\x80", 0},   // above U+10FFFF
      {"\xF0\x9F\x92\xA9z", 5},  // 4-byte character
      {"ab\xE2\x82", 2},         // a name cut by the kernel's 15 bytes mid-character
  };
  for (const auto& c : cases) EXPECT_EQ(valid_utf8_prefix(c.in), c.want) << c.in;
}

TEST(Utf8, RepairReplacesEachMaximalInvalidSubpart) {
  struct Case {
    std::string in;
    std::string want;
  } cases[] = {
      {"x\xff", "x" + kFFFD},
      {"\xE2\x82", kFFFD},  // one truncated character: one replacement
      {"\xE2\x82\xE2\x82\xAC", kFFFD + "\xE2\x82\xAC"},
      {"\xC0\xAF", kFFFD + kFFFD},  // C0 is never valid, AF alone neither
      {"\xF0\x80\x80", kFFFD + kFFFD + kFFFD},
      {"ok", "ok"},
  };
  for (const auto& c : cases) {
    std::string out;
    append_utf8_repaired(out, c.in, false);
    EXPECT_EQ(out, c.want) << c.in;
  }
  std::string ctl;
  append_utf8_repaired(ctl, "a\nb\x1b[31m\x7f", true);
  EXPECT_EQ(ctl, "a" + kFFFD + "b" + kFFFD + "[31m" + kFFFD);
}

TEST(Utf8, LogLinesAndQuotesAreValid) {
  const std::string raw = "Name:\tx\xff\xfe\nState:\t\xC3";
  for (auto fmt : {LogFormat::kLogfmt, LogFormat::kJson}) {
    const auto line = format_log_line(fmt, "t", LogLevel::kWarn, "m\xff", {{"err", raw}});
    EXPECT_EQ(valid_utf8_prefix(line), line.size()) << line;
  }
  // quote_line cuts at 120 bytes: never inside a character.
  std::string long_line;
  for (int i = 0; i < 100; ++i) long_line += "\xC3\xA9";
  const auto q = quote_line(long_line);
  EXPECT_EQ(valid_utf8_prefix(q), q.size());
  EXPECT_NE(q.find("..."), std::string::npos);
  EXPECT_EQ(quote_line("x\xff"), "\"x" + kFFFD + "\"");
}

}  // namespace
}  // namespace virtnet
