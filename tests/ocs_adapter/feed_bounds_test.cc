// The adapter's bounds on a decoded publication, the cutting of a large one
// into calls, the dead-letter file, and the ingest queue's byte bound
// (issue 8: findings 1, 2 and 10, and the dead letters of publications).
#include "ocs_adapter/feed_bounds.h"

#include <malloc.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ocs_adapter/dead_letters.h"
#include "ocs_adapter/feed_ingest.h"
#include "ocs_adapter/publisher_client.h"
#include "service/core/json.h"

namespace ocs_influx::ocs_adapter {
namespace {

namespace v1 = ocs::influx::v1;
using ::testing::HasSubstr;

v1::OcsFeed Mixed(int rows) {
  v1::OcsFeed feed;
  feed.set_agent_address("observatory.mixed");
  feed.set_feed_name("f");
  feed.set_record(true);
  feed.set_session_id("17");
  for (int b = 0; b < 3; ++b) {
    v1::Block* block = feed.add_blocks();
    block->set_block_name(absl::StrCat("block", b));
    v1::Column* d = block->add_columns();
    d->set_name("d");
    v1::Column* i = block->add_columns();
    i->set_name("i");
    v1::Column* s = block->add_columns();
    s->set_name("s");
    v1::Column* m = block->add_columns();
    m->set_name("m");
    v1::Column* bo = block->add_columns();
    bo->set_name("b");
    for (int r = 0; r < rows * (b + 1); ++r) {
      block->add_timestamps(1700000000.0 + b * 1000 + r);
      d->mutable_doubles()->add_values(r * 0.5);
      i->mutable_ints()->add_values(r);
      // Rows of very different sizes.
      s->mutable_strings()->add_values(std::string(r % 7 == 0 ? 3000 : 3, 'a' + r % 26));
      v1::FieldValue* v = m->mutable_mixed()->add_values();
      if (r % 2) {
        v->set_int_value(r);
      } else {
        v->set_string_value("x");
      }
      bo->mutable_bools()->add_values(r % 3 == 0);
    }
  }
  return feed;
}

// Joins pieces back: the blocks of the same name in order, their rows
// appended.
v1::OcsFeed Join(const std::vector<v1::OcsFeed>& pieces) {
  v1::OcsFeed out;
  for (const v1::OcsFeed& p : pieces) {
    EXPECT_EQ(p.agent_address(), pieces[0].agent_address());
    EXPECT_EQ(p.feed_name(), pieces[0].feed_name());
    EXPECT_EQ(p.session_id(), pieces[0].session_id());
    EXPECT_TRUE(p.record());
    if (out.agent_address().empty()) {
      out = p;
      out.clear_blocks();
    }
    for (const v1::Block& b : p.blocks()) {
      v1::Block* last = out.blocks_size() > 0 ? out.mutable_blocks(out.blocks_size() - 1)
                                              : nullptr;
      if (last == nullptr || last->block_name() != b.block_name()) {
        *out.add_blocks() = b;
        continue;
      }
      last->mutable_timestamps()->MergeFrom(b.timestamps());
      for (int c = 0; c < b.columns_size(); ++c) {
        v1::Column* to = last->mutable_columns(c);
        const v1::Column& from = b.columns(c);
        EXPECT_EQ(to->name(), from.name());
        v1::Column merged = *to;
        merged.MergeFrom(from);  // repeated fields append
        *to = merged;
      }
    }
  }
  return out;
}

TEST(SplitFeedTest, PiecesFitAndJoinBackToTheFeedInOrder) {
  const v1::OcsFeed feed = Mixed(2000);
  const size_t max_bytes = 64 << 10;
  ASSERT_GT(feed.ByteSizeLong(), 10 * max_bytes);
  std::vector<v1::OcsFeed> pieces = SplitFeed(feed, max_bytes);
  ASSERT_GT(pieces.size(), 10u);
  for (const v1::OcsFeed& p : pieces) EXPECT_LE(p.ByteSizeLong(), max_bytes);
  v1::OcsFeed joined = Join(pieces);
  EXPECT_EQ(joined.SerializeAsString(), feed.SerializeAsString());
}

// Small ints under a long (legal) agent_address: little on the wire, much
// line protocol. Cut by wire size alone, one call would pass the
// publisher's per-request limit and be refused whole.
TEST(SplitFeedTest, PiecesAlsoStayWithinTheLineProtocolLimit) {
  v1::OcsFeed feed;
  feed.set_record(true);
  feed.set_agent_address(std::string(60000, 'a'));
  feed.set_feed_name("f");
  for (int blk = 0; blk < 3; ++blk) {
    v1::Block* b = feed.add_blocks();
    b->set_block_name(absl::StrCat("b", blk));
    v1::Column* c = b->add_columns();
    c->set_name("v");
    for (int i = 0; i < 2000; ++i) {
      b->add_timestamps(1700000000.0 + blk * 10000 + i);
      c->mutable_ints()->add_values(i);
    }
  }
  const uint64_t max_line_bytes = 16ull << 20;
  ASSERT_LT(feed.ByteSizeLong(), 1u << 20);
  ASSERT_GT(EncodedBytesBound(feed), 15 * max_line_bytes);  // 360 MB of lines
  std::vector<v1::OcsFeed> pieces = SplitFeed(feed, 4 << 20, max_line_bytes);
  ASSERT_GE(pieces.size(), 15u);
  for (const v1::OcsFeed& p : pieces) {
    EXPECT_LE(EncodedBytesBound(p), max_line_bytes);
    EXPECT_GT(EncodedBytesBound(p), max_line_bytes / 4);  // not cut needlessly fine
  }
  EXPECT_EQ(Join(pieces).SerializeAsString(), feed.SerializeAsString());
}

TEST(SplitFeedTest, SmallFeedIsLeftWholeAndAnOversizedRowAlone) {
  v1::OcsFeed small = Mixed(3);
  std::vector<v1::OcsFeed> one = SplitFeed(small, 1 << 20);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].SerializeAsString(), small.SerializeAsString());

  v1::OcsFeed huge;
  huge.set_agent_address("a");
  huge.set_feed_name("f");
  v1::Block* b = huge.add_blocks();
  b->set_block_name("b");
  b->add_timestamps(1);
  b->add_timestamps(2);
  v1::Column* c = b->add_columns();
  c->set_name("s");
  c->mutable_strings()->add_values(std::string(100000, 'x'));
  c->mutable_strings()->add_values("y");
  std::vector<v1::OcsFeed> pieces = SplitFeed(huge, 10000);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_GT(pieces[0].ByteSizeLong(), 10000u);  // the caller refuses it
  EXPECT_LE(pieces[1].ByteSizeLong(), 10000u);
  EXPECT_EQ(pieces[1].blocks(0).columns(0).strings().values(0), "y");
}

TEST(CheckFeedBoundsTest, LongNamesAndHugeEncodingsAreRefused) {
  Refusal reason = Refusal::kCount;
  v1::OcsFeed ok = Mixed(10);
  EXPECT_TRUE(CheckFeedBounds(ok, FeedBounds(), &reason).ok());

  // Issue 8, finding 1: 400 kB of agent_address (repeated on every row by
  // the conversion).
  v1::OcsFeed address = ok;
  address.set_agent_address(std::string(400000, 'a'));
  absl::Status s = CheckFeedBounds(address, FeedBounds(), &reason);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reason, Refusal::kNameTooLong);
  EXPECT_THAT(std::string(s.message()), HasSubstr("agent_address of 400000 bytes"));

  v1::OcsFeed field = ok;
  field.mutable_blocks(1)->mutable_columns(2)->set_name(std::string(kMaxNameBytes + 1, 'f'));
  EXPECT_FALSE(CheckFeedBounds(field, FeedBounds(), &reason).ok());
  EXPECT_EQ(reason, Refusal::kNameTooLong);

  // Names under the limit, on 250,000 rows: 15 GB of line protocol.
  v1::OcsFeed wide;
  wide.set_record(true);
  wide.set_agent_address(std::string(60000, 'a'));
  wide.set_feed_name("f");
  v1::Block* b = wide.add_blocks();
  b->set_block_name("b");
  b->mutable_timestamps()->Resize(250000, 1.0);
  v1::Column* c = b->add_columns();
  c->set_name("v");
  c->mutable_bools()->mutable_values()->Resize(250000, true);
  s = CheckFeedBounds(wide, FeedBounds(), &reason);
  EXPECT_EQ(reason, Refusal::kTooLarge);
  EXPECT_THAT(std::string(s.message()), HasSubstr("bytes of line protocol"));
  EXPECT_GT(EncodedBytesBound(wide), 250000ull * 60000);
}

std::string TempPath(const std::string& name) {
  const char* dir = getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(DeadLettersTest, RefusedPublicationsAreWrittenCountedAndBounded) {
  AdapterCounters counters;
  DeadLetterOptions options;
  options.path = TempPath("dead-publications.jsonl");
  options.max_file_bytes = 40000;
  options.max_record_bytes = 20000;
  options.max_string_bytes = 100;
  ::unlink(options.path.c_str());
  DeadLetters dead(options, &counters);

  msgpack::zone zone;
  msgpack::object publication(
      std::make_tuple(std::map<std::string, int>{{"b", 1}},
                      std::map<std::string, std::string>{{"agent_address", std::string(400, 'a')},
                                                         {"bad\x01key", "\xff\xfe"}}),
      zone);
  dead.Refuse(Refusal::kNameTooLong, "agent_address of 400 bytes", &publication);
  dead.Refuse(Refusal::kMalformed, "an event without arguments", nullptr);
  v1::OcsFeed big = Mixed(2000);
  dead.Refuse(Refusal::kPublisherRefused, "invalid", big);

  std::vector<std::string> lines = Lines(options.path);
  ASSERT_EQ(lines.size(), 3u);
  for (const std::string& line : lines) {
    absl::StatusOr<core::DynamicValue> v = core::ParseJson(line);
    ASSERT_TRUE(v.ok()) << v.status() << ": " << line.substr(0, 200);
    ASSERT_NE(v->Find("reason"), nullptr);
    ASSERT_NE(v->Find("publication"), nullptr);
  }
  EXPECT_THAT(lines[0], HasSubstr("\"reason\":\"name_too_long\""));
  EXPECT_THAT(lines[0], HasSubstr("\"truncated\":true"));  // 400 bytes cut to 100
  EXPECT_THAT(lines[0], HasSubstr("\\u00ff"));
  EXPECT_THAT(lines[1], HasSubstr("\"reason\":\"malformed\""));
  EXPECT_THAT(lines[1], HasSubstr("\"publication\":null"));
  EXPECT_THAT(lines[2], HasSubstr("\"observatory.mixed\""));
  EXPECT_LT(lines[2].size(), 21000u);

  // The file's bound: what does not fit is counted, not written.
  for (int i = 0; i < 10; ++i) dead.Refuse(Refusal::kPublisherRefused, "invalid", big);
  struct stat st;
  ASSERT_EQ(::stat(options.path.c_str(), &st), 0);
  EXPECT_LE(st.st_size, 40000);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_GE(counters.dead_letters_not_written.load(), 8u);
  EXPECT_EQ(counters.publications_refused[static_cast<int>(Refusal::kPublisherRefused)].load(),
            11u);
  EXPECT_EQ(counters.publications_refused[static_cast<int>(Refusal::kMalformed)].load(), 1u);
}

// A FeedIngest whose publisher is away (nothing listens on port 1), with
// `max_queued_bytes` and a long backoff: what is offered stays queued.
struct IngestWithoutPublisher {
  explicit IngestWithoutPublisher(uint64_t max_queued_bytes) {
    options.max_queued_bytes = max_queued_bytes;
    options.initial_backoff = absl::Seconds(5);
    options.max_backoff = absl::Seconds(30);
    ingest = std::make_unique<FeedIngest>(options, &client, &counters);
  }

  PublisherClient client{
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()), "",
      absl::Seconds(1)};
  AdapterCounters counters;
  IngestOptions options;
  std::unique_ptr<FeedIngest> ingest;
};

// Issue 8, finding 10: "the general MessagePack path costs about 112 bytes
// per item": mixed columns (what the general path makes of a column with
// nulls or several types) are a message per value, small ints eight bytes
// each. What the queue counts must follow the memory, not the wire size.
TEST(FeedIngestBoundsTest, QueuedCostFollowsMemoryNotWireSize) {
  for (int kind = 0; kind < 4; ++kind) {
    v1::OcsFeed feed;
    feed.set_agent_address("observatory.cost");
    feed.set_feed_name("f");
    v1::Block* b = feed.add_blocks();
    b->set_block_name("b");
    v1::Column* c = b->add_columns();
    c->set_name("v");
    for (int r = 0; r < 100000; ++r) {
      b->add_timestamps(r);
      switch (kind) {
        case 0: c->mutable_doubles()->add_values(r * 0.5); break;
        case 1: c->mutable_ints()->add_values(r % 100); break;
        case 2: c->mutable_strings()->add_values("ab"); break;
        case 3:
          if (r % 2) {
            c->mutable_mixed()->add_values()->set_int_value(r % 100);
          } else {
            c->mutable_mixed()->add_values();  // null
          }
          break;
      }
    }
    const double memory = static_cast<double>(feed.SpaceUsedLong());
    const double cost = static_cast<double>(FeedIngest::CostOf(feed));
    EXPECT_GT(cost, memory * 0.5) << "kind " << kind;
    EXPECT_LT(cost, memory * 2.0) << "kind " << kind;
  }
}

// Issue 8, finding 10: the queue was bounded in points only, so zero-point
// feeds piled up without bound. With the publisher away (nothing drains),
// they are refused once their bytes reach the bound; Stop() then ends the
// sender's backoff at once.
TEST(FeedIngestBoundsTest, ZeroPointFeedsAreBoundedInBytesAndStopIsPrompt) {
  IngestWithoutPublisher absent(1 << 20);
  const IngestOptions& options = absent.options;
  AdapterCounters& counters = absent.counters;
  std::unique_ptr<FeedIngest>& ingest = absent.ingest;
  v1::OcsFeed empty;
  empty.set_agent_address("observatory.empty");
  empty.set_feed_name(std::string(1000, 'f'));
  empty.set_record(true);
  int accepted = 0;
  for (int i = 0; i < 100000; ++i) {
    if (ingest->Offer(empty)) ++accepted;
  }
  EXPECT_GT(accepted, 100);
  EXPECT_LT(accepted, 1100);  // 1 MiB of ~1.3 kB feeds
  EXPECT_LE(ingest->queued_bytes(), options.max_queued_bytes);
  // Wait until the sender is in its backoff; the stall shows in the
  // session data's counters.
  absl::SleepFor(absl::Milliseconds(1500));
  EXPECT_TRUE(counters.publisher_waiting.load());
  const absl::Time start = absl::Now();
  ingest->Stop(absl::ZeroDuration());
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  ingest.reset();
}

// Each queued publication lives in a protobuf arena whose first block is
// larger than a tiny feed: the queue's byte bound must count the blocks,
// or a stream of tiny publications against a publisher that is away holds
// many times max_queued_bytes of the heap.
TEST(FeedIngestBoundsTest, TinyFeedsHoldNoMoreHeapThanTheByteBound) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "under ASan, malloc is ASan's and keeps no glibc statistics";
#endif
  IngestWithoutPublisher absent(8 << 20);
  const IngestOptions& options = absent.options;
  std::unique_ptr<FeedIngest>& ingest = absent.ingest;
  v1::OcsFeed tiny;
  tiny.set_agent_address("observatory.tiny");
  tiny.set_feed_name("f");
  tiny.set_record(true);
  v1::Block* block = tiny.add_blocks();
  block->set_block_name("b");
  block->add_timestamps(1700000000.0);
  v1::Column* column = block->add_columns();
  column->set_name("v");
  column->mutable_doubles()->add_values(1.5);
  auto heap = [] {
    const struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
  };
  const size_t before = heap();
  int accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    if (ingest->Offer(tiny)) ++accepted;
  }
  const size_t held = heap() - before;
  EXPECT_GT(accepted, 500);
  EXPECT_LT(accepted, 200000) << "the byte bound never refused";
  EXPECT_LE(ingest->queued_bytes(), options.max_queued_bytes);
  EXPECT_LE(held, options.max_queued_bytes * 3 / 2)
      << accepted << " tiny feeds queued hold " << held << " bytes of the heap";
  ingest->Stop(absl::ZeroDuration());
}

}  // namespace
}  // namespace ocs_influx::ocs_adapter
