#include "service/spool/segment_index.h"

#include "gtest/gtest.h"

namespace ocs_influx::spool {
namespace {

SegmentInfo Segment(uint64_t name_seq, uint64_t records, uint64_t points, uint64_t bytes,
                    int64_t oldest) {
  SegmentInfo s;
  s.path = "segment-" + std::to_string(name_seq);
  s.name_seq = name_seq;
  s.last_seq = name_seq + records - 1;
  s.size = bytes;
  s.records = records;
  s.points = points;
  s.bytes = bytes;
  s.oldest_accepted_unix_ns = oldest;
  return s;
}

TEST(SegmentIndexTest, TotalsFollowAddAppendAndRemove) {
  SegmentIndex index;
  EXPECT_EQ(index.oldest_accepted_unix_ns(), 0);
  index.Add(Segment(1, 3, 30, 300, 111));
  index.Add(Segment(4, 2, 20, 200, 222));
  index.AddToBack(1, 5, 50, 333);
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.records(), 6u);
  EXPECT_EQ(index.points(), 55u);
  EXPECT_EQ(index.bytes(), 550u);
  EXPECT_EQ(index.oldest_accepted_unix_ns(), 111);
  ASSERT_NE(index.Find(4), nullptr);
  EXPECT_EQ(index.Find(2), nullptr);
  EXPECT_EQ(index.FindIt(5), index.end());

  EXPECT_EQ(index.Remove(index.begin()), "segment-1");
  EXPECT_EQ(index.records(), 3u);
  EXPECT_EQ(index.points(), 25u);
  EXPECT_EQ(index.bytes(), 250u);
  EXPECT_EQ(index.oldest_accepted_unix_ns(), 222);
}

TEST(SegmentIndexTest, SubtractClampsAndAnEmptySegmentHasNoPoints) {
  SegmentIndex index;
  index.Add(Segment(1, 3, 30, 300, 1));
  SegmentInfo* s = index.Find(1);
  Taken t = index.Subtract(s, 1, 10, 100);
  EXPECT_EQ(t.records, 1u);
  EXPECT_EQ(t.points, 10u);
  EXPECT_EQ(s->records, 2u);
  // More than is left (damage already took its share): clamped, and with
  // no record left the points of a record whose header was lost go too.
  t = index.Subtract(s, 5, 1, 1000);
  EXPECT_EQ(t.records, 2u);
  EXPECT_EQ(t.points, 20u);
  EXPECT_EQ(t.bytes, 200u);
  EXPECT_EQ(index.records(), 0u);
  EXPECT_EQ(index.points(), 0u);
  EXPECT_EQ(index.bytes(), 0u);
}

TEST(SegmentIndexTest, DamageIsNotedOnceAndCountedExactlyInBytes) {
  SegmentIndex index;
  SegmentInfo seg = Segment(1, 10, 20, 1000, 1);
  seg.damaged.push_back({100, 200});  // found at Open: counted as lost
  index.Add(seg);
  EXPECT_EQ(index.records_lost_to_damage(), 1u);
  EXPECT_EQ(index.bytes_lost_to_damage(), 100u);

  Taken t;
  std::string path;
  ASSERT_TRUE(index.NoteDamage(1, {500, 600}, 1, 2, &t, &path));
  EXPECT_EQ(path, "segment-1");
  EXPECT_EQ(t.bytes, 100u);
  EXPECT_EQ(index.records(), 9u);
  EXPECT_EQ(index.points(), 18u);
  EXPECT_FALSE(index.NoteDamage(1, {500, 600}, 1, 2, &t, &path));  // again: ignored
  EXPECT_FALSE(index.NoteDamage(7, {0, 10}, 1, 2, &t, &path));     // no such segment
  EXPECT_EQ(index.records_lost_to_damage(), 2u);
  EXPECT_EQ(index.bytes_lost_to_damage(), 200u);
  ASSERT_EQ(index.Find(1)->damaged.size(), 2u);
  EXPECT_EQ(index.Find(1)->damaged[1].begin, 500u);
}

}  // namespace
}  // namespace ocs_influx::spool
