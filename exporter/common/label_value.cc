#include "exporter/common/label_value.h"

#include <nettle/sha2.h>

#include "exporter/common/utf8.h"

namespace virtnet {

namespace {

constexpr char kHex[] = "0123456789abcdef";

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

void append_escape(std::string& out, unsigned char c) {
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0x0F];
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string sha256_hex(std::string_view data, std::size_t digits) {
  sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, data.size(), reinterpret_cast<const std::uint8_t*>(data.data()));
  std::uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest(&ctx, SHA256_DIGEST_SIZE, digest);
  std::string out;
  for (std::uint8_t b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0x0F];
  }
  out.resize(std::min(digits, out.size()));
  return out;
}

bool is_plain_label_value(std::string_view raw) {
  if (raw.size() > kMaxLabelValueBytes) return false;
  for (unsigned char c : raw) {
    if (is_control(c) || c == '\\') return false;
  }
  return valid_utf8_prefix(raw) == raw.size();
}

std::string sanitize_label_value(std::string_view raw) {
  if (is_plain_label_value(raw)) return std::string(raw);
  // The repair, up to a little past the cap: an escape is 4 bytes, so nothing past
  // kMaxLabelValueBytes bytes of the name can be kept (a 131 KB name costs no more than a short
  // one). `ends` marks where each whole character or escape ends, for the cut.
  const std::size_t room = kMaxLabelValueBytes - kCutMarker.size() - kCutHashHexDigits;
  std::string out;
  std::size_t keep = 0;  // the longest prefix of `out`, in whole tokens, within `room`
  std::size_t i = 0;
  while (i < raw.size() && out.size() <= kMaxLabelValueBytes) {
    const std::size_t valid = valid_utf8_prefix(raw.substr(i, 4));
    const auto c = static_cast<unsigned char>(raw[i]);
    std::size_t len = 1;
    if (c == '\\') {
      out += "\\\\";
    } else if (is_control(c)) {
      append_escape(out, c);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      // A whole character when the bytes from here form one: its length from the lead byte.
      const std::size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      if (valid >= want) {
        out.append(raw.substr(i, want));
        len = want;
      } else {
        append_escape(out, c);
      }
    }
    i += len;
    if (out.size() <= room) keep = out.size();
  }
  if (i == raw.size() && out.size() <= kMaxLabelValueBytes) return out;
  out.resize(keep);
  out += kCutMarker;
  out += sha256_hex(raw, kCutHashHexDigits);
  return out;
}

std::optional<std::string> decode_label_value(std::string_view label) {
  std::string out;
  for (std::size_t i = 0; i < label.size(); ++i) {
    if (label[i] != '\\') {
      out += label[i];
      continue;
    }
    if (i + 1 < label.size() && label[i + 1] == '\\') {
      out += '\\';
      ++i;
      continue;
    }
    if (i + 3 < label.size() && label[i + 1] == 'x') {
      const int hi = hex_value(label[i + 2]), lo = hex_value(label[i + 3]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 3;
      continue;
    }
    return std::nullopt;  // kCutMarker, or no repair's output
  }
  // Only what a repair makes: the name must repair to this very value.
  if (sanitize_label_value(out) != label) return std::nullopt;
  return out;
}

std::string bound_label_input(std::string_view raw) {
  if (raw.size() <= kMaxLabelInputBytes) return std::string(raw);
  std::string out(raw.substr(0, kMaxLabelInputBytes));
  out += '\0';
  out += sha256_hex(raw);
  return out;
}

}  // namespace virtnet
