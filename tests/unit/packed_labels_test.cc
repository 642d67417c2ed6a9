#include "exporter/common/packed_labels.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace virtnet {
namespace {

using namespace std::string_literals;

std::vector<std::pair<std::string, std::string>> all(std::string_view packed) {
  std::vector<std::pair<std::string, std::string>> out;
  for_each_packed_label(packed, [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
  });
  return out;
}

TEST(PackedLabels, EachLabelInOrderAndEmptyValuesKept) {
  const std::string p =
      "pid\0"s
      "42\0"s
      "comm\0\0"s
      "group\0x y\0"s;
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(all(p), (P{{"pid", "42"}, {"comm", ""}, {"group", "x y"}}));
  EXPECT_TRUE(all("").empty());
  // A tail cut short is left out, not read past.
  EXPECT_EQ(all("pid\0"s
                "42\0"s
                "comm\0le"s),
            (P{{"pid", "42"}}));
  EXPECT_EQ(all("pid"), P{});
}

TEST(PackedLabels, ALabelsValueOrEmpty) {
  const std::string p =
      "a\0"s
      "1\0"s
      "b\0\0"s
      "c\0"s
      "3\0"s;
  EXPECT_EQ(packed_label(p, "a"), "1");
  EXPECT_EQ(packed_label(p, "c"), "3");
  EXPECT_EQ(packed_label(p, "b"), "");
  EXPECT_EQ(packed_label(p, "d"), "");
  // A name is matched whole, never a value or a prefix.
  EXPECT_EQ(packed_label(p, "1"), "");
  EXPECT_EQ(packed_label("ab\0"s
                         "x\0"s,
                         "a"),
            "");
}

}  // namespace
}  // namespace virtnet
