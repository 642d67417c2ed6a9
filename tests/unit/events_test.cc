#include "exporter/findings/events.h"

#include <gtest/gtest.h>

namespace virtnet {
namespace {

Event ev(const std::string& alert, double began, std::optional<double> ended = std::nullopt) {
  Event e;
  e.alert = alert;
  e.severity = "warning";
  e.began = began;
  e.ended = ended;
  e.culprit = {{"link", alert + std::to_string(began)}};
  return e;
}

TEST(EventRing, NewestFirstWithIdsInTheOrderTheyBegan) {
  EventRing r(10, 3600);
  const auto a = r.add(ev("A", 1));
  const auto b = r.add(ev("B", 2));
  EXPECT_LT(a, b);
  const auto all = r.newest_first();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].alert, "B");
  EXPECT_EQ(all[1].alert, "A");
  ASSERT_NE(r.find(a), nullptr);
  r.find(a)->ended = 5;  // ended in place
  EXPECT_EQ(r.newest_first()[1].ended, 5);
  EXPECT_EQ(r.find(999), nullptr);
}

TEST(EventRing, BoundedAndEveryEntryPushedOutCounted) {
  EventRing r(3, 3600);
  for (int i = 0; i < 10; ++i) r.add(ev("A", i, i + 0.5));
  EXPECT_EQ(r.size(), 3u);
  EXPECT_EQ(r.evicted(), 7u);
  const auto all = r.newest_first();
  EXPECT_EQ(all.front().began, 9);  // the oldest went
  EXPECT_EQ(all.back().began, 7);
}

TEST(EventRing, AFloodOfOneAlertPushesOutItsOwnNotAnothers) {
  EventRing r(4, 3600);
  r.add(ev("VirtnetVrrpMasterDownGap", 0, 3));  // the gap of an hour ago
  for (int i = 1; i <= 100; ++i) r.add(ev("VirtnetBpduFromInstance", i, i + 0.5));
  const auto all = r.newest_first();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all.back().alert, "VirtnetVrrpMasterDownGap");
  EXPECT_EQ(r.evicted(), 97u);
}

TEST(EventRing, AnEndedEntryGoesBeforeOneThatLasts) {
  EventRing r(2, 3600);
  const auto lasting = r.add(ev("A", 1));
  r.add(ev("A", 2, 3));
  r.add(ev("A", 4));
  EXPECT_NE(r.find(lasting), nullptr);  // the ended one (began 2) was pushed out
  EXPECT_EQ(r.size(), 2u);
  EXPECT_EQ(r.newest_first().back().began, 1);
}

TEST(EventRing, EndedLongAgoExpiresLastingDoesNot) {
  EventRing r(10, 100);
  r.add(ev("A", 0, 10));
  r.add(ev("B", 0));
  r.add(ev("C", 150, 160));
  r.expire(200);
  const auto all = r.newest_first();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].alert, "C");
  EXPECT_EQ(all[1].alert, "B");
  EXPECT_EQ(r.expired(), 1u);
  EXPECT_EQ(r.evicted(), 0u);
}

TEST(EventRing, TextsAreBounded) {
  EventRing r(2, 100);
  Event e = ev("A", 0);
  e.description = std::string(5000, 'x') + "\xC3\xA9";
  e.culprit = {{"domain", std::string(3000, 'd')}};
  const auto id = r.add(std::move(e));
  const Event* got = r.find(id);
  EXPECT_LE(got->description.size(), EventRing::kMaxTextBytes);
  EXPECT_LE(got->culprit[0].second.size(), EventRing::kMaxTextBytes);
  EXPECT_EQ(got->description.substr(got->description.size() - 3), "\xE2\x80\xA6");
}

}  // namespace
}  // namespace virtnet
