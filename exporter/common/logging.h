#pragma once

// exporter/common/: what every layer may use and which uses nothing of the project's: logging (this
// file), valid text for labels and logs (utf8), the parsing helpers and ParseError, the option
// schema and ConfigError, capability needs, the version.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace virtnet {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kLogfmt, kJson };

// Logs go to stderr as `ts=... level=... msg="..." key=value` or one JSON object per line.
void setup_logging(LogLevel level, LogFormat format);

using LogFields = std::initializer_list<std::pair<std::string_view, std::string_view>>;
void log(LogLevel level, std::string_view msg, LogFields fields = {});
inline void log_debug(std::string_view m, LogFields f = {}) { log(LogLevel::kDebug, m, f); }
inline void log_info(std::string_view m, LogFields f = {}) { log(LogLevel::kInfo, m, f); }
inline void log_warn(std::string_view m, LogFields f = {}) { log(LogLevel::kWarn, m, f); }
inline void log_error(std::string_view m, LogFields f = {}) { log(LogLevel::kError, m, f); }

// Pure formatting, exposed for tests.
std::string format_log_line(LogFormat format, std::string_view ts, LogLevel level,
                            std::string_view msg, LogFields fields);

}  // namespace virtnet
