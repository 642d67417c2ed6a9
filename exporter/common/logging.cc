#include "exporter/common/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "exporter/common/utf8.h"

namespace virtnet {

namespace {

std::atomic<LogFormat> g_format{LogFormat::kLogfmt};

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

spdlog::level::level_enum to_spdlog(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

void json_string(std::string& out, std::string_view raw) {
  // Log lines carry valid UTF-8 only: a field may quote bytes read from /proc or a config file.
  std::string repaired;
  std::string_view s = raw;
  if (valid_utf8_prefix(raw) != raw.size()) {
    append_utf8_repaired(repaired, raw, false);
    s = repaired;
  }
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void logfmt_value(std::string& out, std::string_view s) {
  bool plain = !s.empty();
  for (unsigned char c : s) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) plain = false;
  }
  if (plain) {
    out += s;
  } else {
    json_string(out, s);  // logfmt quoting is JSON-compatible for these characters
  }
}

std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  return buf;
}

}  // namespace

std::string format_log_line(LogFormat format, std::string_view ts, LogLevel level,
                            std::string_view msg, LogFields fields) {
  std::string out;
  if (format == LogFormat::kJson) {
    out += "{\"ts\":";
    json_string(out, ts);
    out += ",\"level\":";
    json_string(out, level_name(level));
    out += ",\"msg\":";
    json_string(out, msg);
    for (const auto& [k, v] : fields) {
      out += ',';
      json_string(out, k);
      out += ':';
      json_string(out, v);
    }
    out += '}';
  } else {
    out += "ts=";
    out += ts;
    out += " level=";
    out += level_name(level);
    out += " msg=";
    logfmt_value(out, msg);
    for (const auto& [k, v] : fields) {
      out += ' ';
      out += k;
      out += '=';
      logfmt_value(out, v);
    }
  }
  return out;
}

void setup_logging(LogLevel level, LogFormat format) {
  g_format = format;
  spdlog::drop("virtnet");
  auto logger = spdlog::stderr_logger_mt("virtnet");
  logger->set_pattern("%v");
  logger->set_level(to_spdlog(level));
  logger->flush_on(spdlog::level::debug);
  spdlog::set_default_logger(logger);
}

void log(LogLevel level, std::string_view msg, LogFields fields) {
  // Logging before setup_logging() (tests, early errors) still gets our format.
  static std::once_flag defaults;
  std::call_once(defaults, [] {
    if (spdlog::default_logger_raw()->name() != "virtnet") {
      setup_logging(LogLevel::kInfo, LogFormat::kLogfmt);
    }
  });
  auto logger = spdlog::default_logger_raw();
  if (!logger->should_log(to_spdlog(level))) return;
  logger->log(to_spdlog(level), "{}", format_log_line(g_format, now_rfc3339(), level, msg, fields));
}

}  // namespace virtnet
