#include "exporter/common/label_value.h"

#include <gtest/gtest.h>

#include <set>

#include "exporter/common/utf8.h"

namespace virtnet {
namespace {

TEST(LabelValue, PlainNamesAreKept) {
  for (const std::string n : {"instance-0000002a", "tap1", "qrouter-1", "é ✓ 💩", ""}) {
    EXPECT_TRUE(is_plain_label_value(n)) << n;
    EXPECT_EQ(sanitize_label_value(n), n);
    EXPECT_EQ(decode_label_value(n), n);
  }
  EXPECT_TRUE(is_plain_label_value(std::string(kMaxLabelValueBytes, 'a')));
}

// Each invalid byte, control character and backslash written visibly and reversibly: the three
// interfaces of the report are three values, and each gives its name back.
TEST(LabelValue, InvalidBytesAreEscapedLosslessly) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"tap\xc3", "tap\\xc3"},
      {"tap\xfe", "tap\\xfe"},
      {"tap\xfd", "tap\\xfd"},
      {"x\xff", "x\\xff"},
      {std::string("a\0b", 3), "a\\x00b"},
      {"a\nb\x1b[31m\x7f", "a\\x0ab\\x1b[31m\\x7f"},
      {"back\\slash", "back\\\\slash"},
      {"\\xff", "\\\\xff"},  // a name that looks like an escape is not one
      {"\xC0\xAF", "\\xc0\\xaf"},
      {"\xE2\x82", "\\xe2\\x82"},  // a character cut short
      {"ok\xC3\xA9", "ok\xC3\xA9"},
  };
  std::set<std::string> seen;
  for (const auto& [raw, want] : cases) {
    const auto got = sanitize_label_value(raw);
    EXPECT_EQ(got, want);
    EXPECT_EQ(valid_utf8_prefix(got), got.size());
    EXPECT_EQ(decode_label_value(got), raw) << got;
    EXPECT_TRUE(seen.insert(got).second) << "two names, one value: " << got;
  }
}

// A repair over the cap is cut on a boundary (never inside a character or an escape) and ends
// with the cut marker and a hash of the whole name: names alike up to the cut stay apart.
TEST(LabelValue, LongNamesAreCutWithAHash) {
  const std::string a(131072, 'g'), b = std::string(131071, 'g') + "h";
  const auto va = sanitize_label_value(a), vb = sanitize_label_value(b);
  EXPECT_LE(va.size(), kMaxLabelValueBytes);
  EXPECT_NE(va, vb);
  EXPECT_EQ(va.substr(0, 10), "gggggggggg");
  EXPECT_EQ(va.substr(va.size() - kCutHashHexDigits - kCutMarker.size(), kCutMarker.size()),
            std::string(kCutMarker));
  EXPECT_EQ(va.substr(va.size() - kCutHashHexDigits), sha256_hex(a, kCutHashHexDigits));
  EXPECT_FALSE(decode_label_value(va));  // a cut value gives no name back
  std::string accents, escapes;
  for (int i = 0; i < 200; ++i) {
    accents += "\xC3\xA9";
    escapes += "\xff";
  }
  for (const auto& n : {accents, escapes}) {
    const auto v = sanitize_label_value(n);
    EXPECT_LE(v.size(), kMaxLabelValueBytes);
    EXPECT_EQ(valid_utf8_prefix(v), v.size());
    const auto body = v.substr(0, v.size() - kCutHashHexDigits - kCutMarker.size());
    EXPECT_EQ(decode_label_value(body).has_value(), true) << body;  // whole tokens only
  }
  // Exactly at the cap: kept whole.
  const std::string at(kMaxLabelValueBytes - 4, 'a');
  EXPECT_EQ(sanitize_label_value(at + "\xff"), at + "\\xff");
}

// The cut marker never occurs in a value that was not cut: a name crafted to look like another
// name's cut value gets a value of its own.
TEST(LabelValue, ACraftedNameNeverEqualsACutValue) {
  const std::string longname(400, 'z');
  const auto cut = sanitize_label_value(longname);
  // The raw bytes of the cut value, as someone might name a process or an interface.
  EXPECT_NE(sanitize_label_value(cut), cut);
  EXPECT_FALSE(decode_label_value("a\\~b"));
  EXPECT_FALSE(decode_label_value("a\\"));
  EXPECT_FALSE(decode_label_value("\\x41"));  // 'A' needs no escape: no repair makes this
}

TEST(LabelValue, BoundedInputsStayDistinct) {
  const std::string a(131072, 'q'), b = std::string(131071, 'q') + "r";
  EXPECT_EQ(bound_label_input("short"), "short");
  EXPECT_LE(bound_label_input(a).size(), kMaxLabelInputBytes + 1 + 64);
  EXPECT_NE(bound_label_input(a), bound_label_input(b));
  EXPECT_NE(sanitize_label_value(bound_label_input(a)), sanitize_label_value(bound_label_input(b)));
}

}  // namespace
}  // namespace virtnet
