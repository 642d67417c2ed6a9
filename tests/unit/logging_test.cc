#include "exporter/common/logging.h"

#include <gtest/gtest.h>

namespace virtnet {
namespace {

TEST(Logging, Logfmt) {
  EXPECT_EQ(format_log_line(LogFormat::kLogfmt, "T", LogLevel::kInfo, "listening",
                            {{"address", ":10120"}}),
            "ts=T level=info msg=listening address=:10120");
  EXPECT_EQ(format_log_line(LogFormat::kLogfmt, "T", LogLevel::kError, "collector failed",
                            {{"err", "a \"quoted\" x=y\nnext"}, {"empty", ""}}),
            "ts=T level=error msg=\"collector failed\" err=\"a \\\"quoted\\\" x=y\\nnext\" "
            "empty=\"\"");
}

TEST(Logging, Json) {
  EXPECT_EQ(
      format_log_line(LogFormat::kJson, "T", LogLevel::kWarn, "m\x01", {{"k", "back\\slash"}}),
      "{\"ts\":\"T\",\"level\":\"warn\",\"msg\":\"m\\u0001\",\"k\":\"back\\\\slash\"}");
}

}  // namespace
}  // namespace virtnet
