#include "exporter/http/exposition.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "exporter/http/gzip.h"

namespace virtnet {

namespace {

// zlib's fastest level: see docs/performance.md (size against CPU, at 200 VMs).
constexpr int kGzipLevel = 1;
constexpr std::size_t kPieceBytes = 64 * 1024;  // the text held at once (more for one family)

// The text format as prometheus-cpp 1.0's TextSerializer writes it, byte for byte (the unit test
// compares the two over every kind of value, and the golden files hold its output): its
// std::ostream path was a fifth of a scrape's CPU at 200 VMs (docs/performance.md), more than
// the whole margin over the kernel's reads. Values are C-locale "%.16g" (std::to_chars gives
// the same digits), "Nan", "+Inf" and "-Inf"; label values escape \ and " with a backslash and a
// newline as \n; HELP is written as it is.
void put_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "Nan";
  } else if (std::isinf(v)) {
    out += v < 0 ? "-Inf" : "+Inf";
  } else {
    char b[64];
    const auto r = std::to_chars(b, b + sizeof b, v, std::chars_format::general,
                                 std::numeric_limits<double>::max_digits10 - 1);
    out.append(b, r.ptr);
  }
}

void put_count(std::string& out, std::uint64_t v) {
  char b[24];
  const auto r = std::to_chars(b, b + sizeof b, v);
  out.append(b, r.ptr);
}

void put_label_value(std::string& out, const std::string& v) {
  for (char c : v) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
}

// name + suffix, the labels (and one more, for a bucket's le), then the space before the value.
void put_head(std::string& out, const prometheus::MetricFamily& f,
              const prometheus::ClientMetric& m, std::string_view suffix = {},
              const double* le = nullptr) {
  out += f.name;
  out += suffix;
  if (!m.label.empty() || le) {
    out += '{';
    const char* sep = "";
    for (const auto& l : m.label) {
      out += sep;
      out += l.name;
      out += "=\"";
      put_label_value(out, l.value);
      out += '"';
      sep = ",";
    }
    if (le) {
      out += sep;
      out += "le=\"";
      put_value(out, *le);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
}

void put_tail(std::string& out, const prometheus::ClientMetric& m) {
  if (m.timestamp_ms != 0) {
    out += ' ';
    out += std::to_string(m.timestamp_ms);
  }
  out += '\n';
}

void put_family(std::string& out, const prometheus::MetricFamily& f) {
  using prometheus::MetricType;
  if (!f.help.empty()) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    out += f.help;
    out += '\n';
  }
  const char* type = "untyped";
  switch (f.type) {
    case MetricType::Counter:
      type = "counter";
      break;
    case MetricType::Gauge:
      type = "gauge";
      break;
    case MetricType::Summary:
      type = "summary";
      break;
    case MetricType::Histogram:
      type = "histogram";
      break;
    case MetricType::Untyped:
      break;
  }
  out += "# TYPE ";
  out += f.name;
  out += ' ';
  out += type;
  out += '\n';
  for (const auto& m : f.metric) {
    switch (f.type) {
      case MetricType::Counter:
      case MetricType::Gauge:
      case MetricType::Untyped:
        put_head(out, f, m);
        put_value(out, f.type == MetricType::Counter ? m.counter.value
                       : f.type == MetricType::Gauge ? m.gauge.value
                                                     : m.untyped.value);
        put_tail(out, m);
        break;
      case MetricType::Summary:  // no collector emits one: refused rather than half-written
        throw std::logic_error("summary " + f.name + " cannot be written");
      case MetricType::Histogram: {
        const auto& h = m.histogram;
        put_head(out, f, m, "_count");
        put_count(out, h.sample_count);
        put_tail(out, m);
        put_head(out, f, m, "_sum");
        put_value(out, h.sample_sum);
        put_tail(out, m);
        double last = -std::numeric_limits<double>::infinity();
        for (const auto& b : h.bucket) {
          put_head(out, f, m, "_bucket", &b.upper_bound);
          last = b.upper_bound;
          put_count(out, b.cumulative_count);
          put_tail(out, m);
        }
        if (last != std::numeric_limits<double>::infinity()) {
          const double inf = std::numeric_limits<double>::infinity();
          put_head(out, f, m, "_bucket", &inf);
          put_count(out, h.sample_count);
          put_tail(out, m);
        }
        break;
      }
    }
  }
}

}  // namespace

std::string write_exposition(std::vector<prometheus::MetricFamily>& families, bool gzip,
                             bool* gzipped) {
  GzipStream z;
  *gzipped = gzip && z.begin(kGzipLevel);
  std::string body;
  std::string piece;
  piece.reserve(kPieceBytes + kPieceBytes / 4);
  auto flush = [&] {
    if (!*gzipped) {
      body += piece;
    } else if (!z.write(piece)) {
      throw std::runtime_error("gzip failed while writing the exposition");
    }
    piece.clear();
  };
  for (auto& f : families) {
    put_family(piece, f);
    f = {};  // its samples freed now, not with the rest at the end
    if (piece.size() >= kPieceBytes) flush();
  }
  flush();
  families.clear();
  if (!*gzipped) return body;
  auto out = z.finish();
  if (!out) throw std::runtime_error("gzip failed while finishing the exposition");
  return std::move(*out);
}

}  // namespace virtnet
