#include "exporter/common/logging.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "exporter/common/utf8.h"

namespace virtnet {

namespace {

std::atomic<LogFormat> g_format{LogFormat::kLogfmt};
std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::mutex g_write;  // one line at a time, whole

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
  g_level = level;
}

void log(LogLevel level, std::string_view msg, LogFields fields) {
  if (level < g_level.load()) return;
  std::string line = format_log_line(g_format, now_rfc3339(), level, msg, fields);
  line += '\n';
  // Straight to fd 2, unbuffered: a line is never held back, split or interleaved with another.
  std::lock_guard lk(g_write);
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // stderr closed or full: the rest of the line is lost, never the exporter; a line cut
      // short is ended, so that the next one starts on its own.
      if (done > 0) {
        [[maybe_unused]] const ssize_t r = ::write(STDERR_FILENO, "\n", 1);
      }
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace virtnet
