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

void put_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
}

// name + suffix, sample i's labels (and one more, for a bucket's le), then the space before the
// value.
void put_head(std::string& out, const CompactFamily& f, std::size_t i, std::string_view suffix = {},
              const double* le = nullptr) {
  out += f.name;
  out += suffix;
  if (!f.sample_labels(i).empty() || le) {
    out += '{';
    const char* sep = "";
    f.for_each_label(i, [&](std::string_view k, std::string_view v) {
      out += sep;
      out += k;
      out += "=\"";
      put_label_value(out, v);
      out += '"';
      sep = ",";
    });
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

void put_histogram(std::string& out, const CompactFamily& f, std::size_t i) {
  const auto& h = f.histograms[i];
  put_head(out, f, i, "_count");
  put_count(out, h.sample_count);
  out += '\n';
  put_head(out, f, i, "_sum");
  put_value(out, h.sample_sum);
  out += '\n';
  double last = -std::numeric_limits<double>::infinity();
  for (const auto& b : h.bucket) {
    put_head(out, f, i, "_bucket", &b.upper_bound);
    last = b.upper_bound;
    put_count(out, b.cumulative_count);
    out += '\n';
  }
  if (last != std::numeric_limits<double>::infinity()) {
    const double inf = std::numeric_limits<double>::infinity();
    put_head(out, f, i, "_bucket", &inf);
    put_count(out, h.sample_count);
    out += '\n';
  }
}

void put_family(std::string& out, const CompactFamily& f) {
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
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f.type == MetricType::Histogram) {
      put_histogram(out, f, i);
    } else {
      put_head(out, f, i);
      put_value(out, f.values[i]);
      out += '\n';
    }
  }
}

}  // namespace

std::string write_exposition(std::vector<CompactFamily>& families, bool gzip, bool* gzipped) {
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
