// Every input costs bounded, linear work (issue 8, item 1): names longer
// than InfluxDB's own limit are refused in every path, and a request whose
// line protocol would pass the per-request bound is refused before it is
// encoded, however small the request itself is.
#include <malloc.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/publisher.pb.h"
#include "service/core/feed_convert.h"
#include "service/core/line_builder.h"
#include "service/core/line_parser.h"
#include "service/core/point_encoder.h"

namespace ocs_influx::core {
namespace {

using ::testing::HasSubstr;
namespace v1 = ocs::influx::v1;

constexpr int64_t kT0 = 1700000000000000000LL;
const std::string kLong(65536, 'n');  // one byte over InfluxDB's 65535

// ------------------------------------------------------------ typed points

v1::Point* AddPoint(v1::WriteRequest* r, const std::string& measurement) {
  v1::Point* p = r->add_points();
  p->set_measurement(measurement);
  p->set_timestamp_ns(kT0);
  return p;
}

void AddInt(v1::Point* p, const std::string& key, int64_t v) {
  v1::Field* f = p->add_fields();
  f->set_key(key);
  f->mutable_value()->set_int_value(v);
}

void AddTag(v1::Point* p, const std::string& key, const std::string& value) {
  v1::Tag* t = p->add_tags();
  t->set_key(key);
  t->set_value(value);
}

absl::Status EncodeOne(const v1::WriteRequest& r, std::string* out) {
  EncodeResult result;
  return EncodeWriteRequest(r, kT0, out, &result);
}

TEST(NameLimitTest, TypedPointNamesOverInfluxLimitAreRefusedInEveryKind) {
  struct Case {
    const char* kind;
    v1::WriteRequest request;
  };
  std::vector<Case> cases(4);
  cases[0].kind = "measurement";
  AddInt(AddPoint(&cases[0].request, kLong), "v", 1);
  cases[1].kind = "tag key";
  {
    v1::Point* p = AddPoint(&cases[1].request, "m");
    AddTag(p, kLong, "x");
    AddInt(p, "v", 1);
  }
  cases[2].kind = "tag value";
  {
    v1::Point* p = AddPoint(&cases[2].request, "m");
    AddTag(p, "t", kLong);
    AddInt(p, "v", 1);
  }
  cases[3].kind = "field key";
  AddInt(AddPoint(&cases[3].request, "m"), kLong, 1);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.kind);
    std::string out;
    absl::Status s = EncodeOne(c.request, &out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(), HasSubstr(absl::StrCat(
                                 c.kind, " of 65536 bytes is over InfluxDB's limit of 65535")));
    EXPECT_TRUE(out.empty());
  }
}

TEST(NameLimitTest, NamesAtTheLimitPassButTheirSeriesKeyMayNot) {
  const std::string at_limit(65535, 'a');
  {
    v1::WriteRequest r;
    AddInt(AddPoint(&r, at_limit), "v", 1);
    std::string out;
    EXPECT_TRUE(EncodeOne(r, &out).ok());
  }
  {
    // Each name fits, but InfluxDB limits the series key (measurement and
    // tags as written) to 65535 bytes and would refuse the point, failing
    // its whole batch.
    v1::WriteRequest r;
    v1::Point* p = AddPoint(&r, std::string(40000, 'm'));
    AddTag(p, "t", std::string(30000, 'v'));
    AddInt(p, "v", 1);
    std::string out;
    absl::Status s = EncodeOne(r, &out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(), HasSubstr("series key (measurement and tags) of 70003 bytes is "
                                       "over InfluxDB's limit of 65535"));
    EXPECT_TRUE(out.empty());
  }
}

// ------------------------------------------------------------ line protocol

absl::Status ConvertLines(const std::string& text, std::string* out) {
  LinesConverter converter;
  EncodeResult result;
  return converter.Convert(text, Precision::kNanoseconds, kT0, out, &result);
}

TEST(NameLimitTest, LineProtocolNamesOverInfluxLimitAreRefusedInEveryKind) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"measurement", absl::StrCat(kLong, " v=1i 1")},
      {"tag key", absl::StrCat("m,", kLong, "=x v=1i 1")},
      {"tag value", absl::StrCat("m,t=", kLong, " v=1i 1")},
      {"field key", absl::StrCat("m ", kLong, "=1i 1")},
  };
  for (const auto& [kind, text] : cases) {
    SCOPED_TRACE(kind);
    std::string out;
    absl::Status s = ConvertLines("m v=1i 1\n" + text, &out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(), HasSubstr("line 2, "));
    EXPECT_THAT(s.message(), HasSubstr(absl::StrCat(
                                 kind, " of 65536 bytes is over InfluxDB's limit of 65535")));
    EXPECT_TRUE(out.empty());
  }
  std::string out;
  absl::Status s = ConvertLines(
      absl::StrCat("m", std::string(40000, 'm'), ",t=", std::string(30000, 'v'), " v=1i 1"),
      &out);
  EXPECT_THAT(s.message(), HasSubstr("series key (measurement and tags) of 70004 bytes"));
}

// ------------------------------------------------------------ OCS feeds

v1::OcsFeed BoolFeed(const std::string& address, int rows,
                     const std::string& feed_name = "f",
                     const std::string& column = "v") {
  v1::OcsFeed feed;
  feed.set_agent_address(address);
  feed.set_feed_name(feed_name);
  feed.set_record(true);
  v1::Block* b = feed.add_blocks();
  b->set_block_name("b");
  v1::Column* c = b->add_columns();
  c->set_name(column);
  b->mutable_timestamps()->Reserve(rows);
  c->mutable_bools()->mutable_values()->Reserve(rows);
  for (int i = 0; i < rows; ++i) {
    b->add_timestamps(1700000000.0 + i * 0.01);
    c->mutable_bools()->add_values(i % 2 == 0);
  }
  return feed;
}

TEST(NameLimitTest, FeedNamesOverInfluxLimitAreRefusedInEveryKind) {
  struct Case {
    std::string what;
    v1::OcsFeed feed;
  };
  const std::vector<Case> cases = {
      {"agent_address: measurement", BoolFeed(kLong, 3)},
      {"feed_name: tag value", BoolFeed("a", 3, kLong)},
      {"field key", BoolFeed("a", 3, "f", kLong)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    FeedConverter converter;
    EncodeResult result;
    std::string out;
    absl::Status s = converter.Convert(c.feed, &out, &result);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(),
                HasSubstr(absl::StrCat(c.what, " of 65536 bytes is over InfluxDB's limit")));
    EXPECT_TRUE(out.empty());
  }
}

// The issue's amplification: one publication of about 900 KB (400 kB
// agent_address, one block of 250,000 timestamps, one bool column) asked
// for 100 GB of line protocol. Refused at once, having allocated nothing.
TEST(AmplificationTest, TheIssuesPublicationIsRefusedFastAndAllocatesNothing) {
  const v1::OcsFeed feed = BoolFeed(std::string(400000, 'a'), 250000);
  FeedConverter converter;
  EncodeResult result;
  std::string out;
  const absl::Time t0 = absl::Now();
  absl::Status s = converter.Convert(feed, &out, &result);
  const absl::Duration took = absl::Now() - t0;
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("agent_address: measurement of 400000 bytes is over "
                                     "InfluxDB's limit of 65535"));
  EXPECT_LT(took, absl::Milliseconds(200));
  EXPECT_LT(out.capacity(), 1u << 20);
  EXPECT_EQ(result.points, 0u);
}

// The same shape with an address InfluxDB would take (60 kB): each name is
// legal, the line protocol (15 GB) is not. Refused before encoding, with
// the sizes named.
TEST(AmplificationTest, AFeedWhoseLinesPassTheRequestBoundIsRefusedBeforeEncoding) {
  const v1::OcsFeed feed = BoolFeed(std::string(60000, 'a'), 250000);
  FeedConverter converter;
  EncodeResult result;
  std::string out;
  const absl::Time t0 = absl::Now();
  absl::Status s = converter.Convert(feed, &out, &result);
  const absl::Duration took = absl::Now() - t0;
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("line protocol of up to 15"));
  EXPECT_THAT(s.message(), HasSubstr("bytes would pass the limit of 134217728 bytes (128 MiB) "
                                     "per request"));
  EXPECT_LT(took, absl::Milliseconds(500));
  EXPECT_LT(out.capacity(), 1u << 20);
  EXPECT_EQ(result.points, 0u);
}

// ------------------------------------------------------------ chunks

v1::OcsFeed IntFeed(int rows) {
  v1::OcsFeed feed;
  feed.set_agent_address("observatory.fake-data1");
  feed.set_feed_name("data");
  feed.set_record(true);
  v1::Block* b = feed.add_blocks();
  b->set_block_name("b");
  v1::Column* c = b->add_columns();
  c->set_name("channel_00");
  for (int i = 0; i < rows; ++i) {
    b->add_timestamps(1700000000.0 + i * 0.001);
    c->mutable_ints()->add_values(i % 100);
  }
  return feed;
}

std::string Join(const LineChunks& chunks) {
  std::string all;
  for (size_t i = 0; i < chunks.size(); ++i) {
    all.append(chunks.chunk(i).data(), chunks.chunk(i).size());
  }
  return all;
}

TEST(ChunksTest, ALargeFeedIsCutIntoBoundedChunksAtLineBoundaries) {
  constexpr int kRows = 1000000;
  const v1::OcsFeed feed = IntFeed(kRows);
  FeedConverter converter;
  std::string whole;
  EncodeResult whole_result;
  ASSERT_TRUE(converter.Convert(feed, &whole, &whole_result).ok());

  LineChunks chunks;
  EncodeResult result;
  ASSERT_TRUE(converter.Convert(feed, &chunks, &result).ok());
  EXPECT_EQ(result.points, static_cast<uint32_t>(kRows));
  EXPECT_EQ(chunks.points(), static_cast<uint64_t>(kRows));
  EXPECT_GT(chunks.size(), 10u) << chunks.bytes() << " bytes";
  uint64_t points = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    absl::string_view c = chunks.chunk(i);
    ASSERT_FALSE(c.empty());
    EXPECT_EQ(c.back(), '\n') << "chunk " << i << " ends mid-line";
    EXPECT_LT(c.size(), kLineChunkBytes + 200) << "chunk " << i;
    EXPECT_EQ(static_cast<uint64_t>(std::count(c.begin(), c.end(), '\n')),
              chunks.chunk_points(i));
    points += chunks.chunk_points(i);
  }
  EXPECT_EQ(points, static_cast<uint64_t>(kRows));
  EXPECT_EQ(Join(chunks), whole);
  EXPECT_EQ(chunks.bytes(), whole.size());

  // The bound a client splits by is close: ints and timestamps are
  // counted as written, up to a byte or two per line.
  absl::StatusOr<uint64_t> bound = converter.EncodedSizeBound(feed);
  ASSERT_TRUE(bound.ok()) << bound.status();
  EXPECT_GE(*bound, whole.size());
  EXPECT_LE(*bound, whole.size() + 3u * kRows);
}

TEST(ChunksTest, RequestsPastTheLimitAreRefusedAndLeaveNothing) {
  LineChunks chunks(/*chunk_bytes=*/1024, /*limit=*/64 * 1024);
  EncodeResult result;
  LinesConverter lines;
  ASSERT_TRUE(lines.Convert("m v=1i 1\nm v=2i 2\n", Precision::kNanoseconds, kT0,
                            &chunks, &result)
                  .ok());
  const std::string before = Join(chunks);

  // Lines without a timestamp grow by one each: 20,000 of them pass 64 KiB.
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "m f=1\n";
  absl::Status s = lines.Convert(text, Precision::kNanoseconds, kT0, &chunks, &result);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("the request's line protocol passes the limit of "
                                     "65536 bytes per request"));
  EXPECT_EQ(Join(chunks), before);
  EXPECT_EQ(chunks.points(), 2u);

  v1::WriteRequest request;
  for (int i = 0; i < 5000; ++i) AddInt(AddPoint(&request, "m"), "v", i);
  s = EncodeWriteRequest(request, kT0, &chunks, &result);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("the request's line protocol passes the limit"));
  EXPECT_EQ(Join(chunks), before);

  v1::OcsFeed feed = IntFeed(5000);
  FeedConverter converter;
  s = converter.Convert(feed, &chunks, &result);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("(after 18 bytes before it in this request)"));
  EXPECT_EQ(Join(chunks), before);
  EXPECT_EQ(result.points, 2u);

  // Within the limit, the same chunks take more, after what they hold.
  ASSERT_TRUE(EncodeWriteRequest(request, kT0, &chunks, &result).ok() == false);
  v1::WriteRequest small;
  AddInt(AddPoint(&small, "m"), "v", 3);
  ASSERT_TRUE(EncodeWriteRequest(small, kT0, &chunks, &result).ok());
  EXPECT_EQ(Join(chunks), before + "m v=3i 1700000000000000000\n");

  chunks.Clear();
  EXPECT_EQ(chunks.bytes(), 0u);
  EXPECT_EQ(chunks.size(), 0u);
}

// The length of the series key every line of chunk i begins with, as its
// runs tell: 0 unless it is one run (one series, or past the runs' bound).
size_t SeriesKeyBytes(const LineChunks& chunks, size_t i) {
  const absl::Span<const SeriesRun> runs = chunks.chunk_runs(i);
  return runs.size() == 1 ? runs[0].key_bytes : 0;
}

// What FeedTracker would find by scanning each line: the series key's
// length if every line of the chunk begins with the same key, else 0.
size_t ScannedSeriesKeyBytes(absl::string_view chunk) {
  size_t key_bytes = 0;
  absl::string_view first;
  size_t pos = 0;
  while (pos < chunk.size()) {
    const size_t end = chunk.find('\n', pos);
    const absl::string_view line = chunk.substr(pos, end - pos);
    size_t i = 0;
    while (i < line.size() && line[i] != ' ') i += line[i] == '\\' ? 2 : 1;
    const absl::string_view key = line.substr(0, i);
    if (pos == 0) {
      first = key;
      key_bytes = key.size();
    } else if (key != first) {
      return 0;
    }
    pos = end + 1;
  }
  return key_bytes;
}

// The runs of lines of one series a scan finds, as "start key_bytes
// last_start last_end points" each.
std::vector<std::string> ScannedRuns(absl::string_view chunk) {
  std::vector<std::string> runs;
  absl::string_view key;
  size_t start = 0, last_start = 0, last_end = 0, points = 0, pos = 0;
  auto flush = [&] {
    if (points > 0) {
      runs.push_back(
          absl::StrCat(start, " ", key.size(), " ", last_start, " ", last_end, " ", points));
    }
  };
  while (pos < chunk.size()) {
    const size_t end = chunk.find('\n', pos);
    const absl::string_view line = chunk.substr(pos, end - pos);
    size_t i = 0;
    while (i < line.size() && line[i] != ' ') i += line[i] == '\\' ? 2 : 1;
    if (points == 0 || line.substr(0, i) != key) {
      flush();
      key = line.substr(0, i);
      start = pos;
      points = 0;
    }
    ++points;
    last_start = pos;
    last_end = end;
    pos = end + 1;
  }
  flush();
  return runs;
}

std::vector<std::string> RecordedRuns(const LineChunks& chunks, size_t i) {
  std::vector<std::string> runs;
  for (const SeriesRun& r : chunks.chunk_runs(i)) {
    runs.push_back(absl::StrCat(r.start, " ", r.key_bytes, " ", r.last_start, " ", r.last_end,
                                " ", r.points));
  }
  return runs;
}

void ExpectSeriesMarksAsScanned(const LineChunks& chunks) {
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(SeriesKeyBytes(chunks, i), ScannedSeriesKeyBytes(chunks.chunk(i)))
        << "chunk " << i << ":\n" << chunks.chunk(i).substr(0, 300);
    EXPECT_EQ(RecordedRuns(chunks, i), ScannedRuns(chunks.chunk(i)))
        << "chunk " << i << ":\n" << chunks.chunk(i).substr(0, 300);
  }
}

// Every encoder tells the chunks each line's series key, so that a chunk
// of one series is known as one without a scan (FeedTracker::Accepted).
TEST(ChunksTest, EveryEncoderMarksChunksOfOneSeries) {
  LineChunks chunks(/*chunk_bytes=*/256);
  EncodeResult result;
  LinesConverter lines;
  // Escapes in the key; a chunk cut mid-request starts its own mark.
  std::string text;
  for (int i = 0; i < 20; ++i) absl::StrAppend(&text, "a\\ b\\,c,t=x\\ y v=", i, " ", i, "\n");
  ASSERT_TRUE(lines.Convert(text, Precision::kNanoseconds, kT0, &chunks, &result).ok());
  ASSERT_GT(chunks.size(), 1u);
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(SeriesKeyBytes(chunks, i), std::string("a\\ b\\,c,t=x\\ y").size());
  }
  ExpectSeriesMarksAsScanned(chunks);

  chunks.Clear();
  ASSERT_TRUE(lines.Convert("m,t=1 v=1 1\nm,t=1 v=2 2\nm,t=2 v=3 3\n", Precision::kNanoseconds,
                            kT0, &chunks, &result)
                  .ok());
  EXPECT_EQ(SeriesKeyBytes(chunks, 0), 0u) << "two series";
  ExpectSeriesMarksAsScanned(chunks);

  // The same key length, other bytes; a tag dropped for its empty value.
  chunks.Clear();
  v1::WriteRequest request;
  AddInt(AddPoint(&request, "mA"), "v", 1);
  AddInt(AddPoint(&request, "mB"), "v", 2);
  ASSERT_TRUE(EncodeWriteRequest(request, kT0, &chunks, &result).ok());
  EXPECT_EQ(SeriesKeyBytes(chunks, 0), 0u);
  ExpectSeriesMarksAsScanned(chunks);
  chunks.Clear();
  v1::WriteRequest same;
  for (int i = 0; i < 30; ++i) {
    v1::Point* p = AddPoint(&same, "m");
    auto* empty = p->add_tags();
    empty->set_key("e");
    empty->set_value("");
    AddInt(p, "v", i);
  }
  ASSERT_TRUE(EncodeWriteRequest(same, kT0, &chunks, &result).ok());
  ASSERT_GT(chunks.size(), 1u);
  EXPECT_EQ(SeriesKeyBytes(chunks, 0), 1u) << "the key is m: the empty tag is dropped";
  ExpectSeriesMarksAsScanned(chunks);

  chunks.Clear();
  FeedConverter converter;
  ASSERT_TRUE(converter.Convert(IntFeed(50), &chunks, &result).ok());
  ASSERT_GT(chunks.size(), 1u);
  EXPECT_GT(SeriesKeyBytes(chunks, 0), 0u);
  ExpectSeriesMarksAsScanned(chunks);
}

// Lines taken back take their series with them.
TEST(ChunksTest, RollbackRestoresTheOneSeriesMark) {
  LineChunks chunks;
  EncodeResult result;
  LinesConverter lines;
  ASSERT_TRUE(lines.Convert("m v=1 1\nm v=2 2\n", Precision::kNanoseconds, kT0, &chunks,
                            &result)
                  .ok());
  EXPECT_EQ(SeriesKeyBytes(chunks, 0), 1u);
  // Refused at its third line: the two before are taken back with it.
  EXPECT_FALSE(lines.Convert("n v=1 1\nn v=2 2\nbad\n", Precision::kNanoseconds, kT0,
                             &chunks, &result)
                   .ok());
  EXPECT_EQ(chunks.points(), 2u);
  ExpectSeriesMarksAsScanned(chunks);
  ASSERT_TRUE(lines.Convert("m v=3 3\n", Precision::kNanoseconds, kT0, &chunks, &result).ok());
  EXPECT_NE(SeriesKeyBytes(chunks, 0), 0u) << "still one series: m";
  ASSERT_TRUE(lines.Convert("n v=4 4\n", Precision::kNanoseconds, kT0, &chunks, &result).ok());
  EXPECT_EQ(SeriesKeyBytes(chunks, 0), 0u);
  ExpectSeriesMarksAsScanned(chunks);
  // A run that lines after the mark extended is cut back to its lines
  // before it: its count and its last line.
  EXPECT_FALSE(lines.Convert("n v=5 5\nn v=6 6\nbad\n", Precision::kNanoseconds, kT0, &chunks,
                             &result)
                   .ok());
  ASSERT_EQ(chunks.chunk_runs(0).size(), 2u) << "m, then n";
  EXPECT_EQ(chunks.chunk_runs(0)[1].points, 1u);
  ExpectSeriesMarksAsScanned(chunks);
}

// Runs of the series of many feeds in one chunk (the OCS adapter's many
// publications per call), as a scan finds them; past kMaxRunsPerChunk a
// chunk keeps none, and that is taken back with its lines too.
TEST(ChunksTest, RunsOfManySeriesAsScannedAndBoundedPerChunk) {
  LineChunks chunks(/*chunk_bytes=*/4096);
  EncodeResult result;
  LinesConverter lines;
  std::string text;
  for (int i = 0; i < 300; ++i) {
    absl::StrAppend(&text, "m,feed=f", i / 3 % 7, " v=", i, " ", i, "\n");
  }
  ASSERT_TRUE(lines.Convert(text, Precision::kNanoseconds, kT0, &chunks, &result).ok());
  ASSERT_GT(chunks.size(), 1u);
  for (size_t i = 0; i < chunks.size(); ++i) EXPECT_FALSE(chunks.chunk_runs(i).empty());
  ExpectSeriesMarksAsScanned(chunks);

  LineChunks big;  // one chunk of every line
  text.clear();
  for (size_t i = 0; i < kMaxRunsPerChunk; ++i) absl::StrAppend(&text, "m,feed=", i, " v=1 1\n");
  ASSERT_TRUE(lines.Convert(text, Precision::kNanoseconds, kT0, &big, &result).ok());
  ASSERT_EQ(big.chunk_runs(0).size(), kMaxRunsPerChunk);
  EXPECT_FALSE(lines.Convert("m,feed=one_more v=1 1\nbad\n", Precision::kNanoseconds, kT0,
                             &big, &result)
                   .ok());
  EXPECT_EQ(big.chunk_runs(0).size(), kMaxRunsPerChunk) << "the refused line's run is taken back";
  ASSERT_TRUE(lines.Convert("m,feed=one_more v=1 1\n", Precision::kNanoseconds, kT0, &big, &result)
                  .ok());
  EXPECT_TRUE(big.chunk_runs(0).empty()) << "one run too many: none kept, the chunk is scanned";
  EXPECT_EQ(SeriesKeyBytes(big, 0), 0u);
  EXPECT_EQ(big.points(), kMaxRunsPerChunk + 1);
}

// Chunks cut by their lines hold exactly that many (the last fewer), end
// at line boundaries with their runs as scanned, and a refused request
// takes back what it added across such cuts.
TEST(ChunksTest, ChunksAreCutAtTheirMaximumOfLines) {
  LineChunks chunks(/*chunk_bytes=*/1024);  // cut by lines from 16 bytes on
  chunks.set_max_chunk_points(3);
  EncodeResult result;
  LinesConverter lines;
  std::string text;
  for (int i = 0; i < 10; ++i) absl::StrAppend(&text, "m,feed=f", i / 2, " v=", i, " ", i, "\n");
  ASSERT_TRUE(lines.Convert(text, Precision::kNanoseconds, kT0, &chunks, &result).ok());
  ASSERT_EQ(chunks.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(chunks.chunk_points(i), i < 3 ? 3u : 1u) << i;
    EXPECT_EQ(chunks.chunk(i).back(), '\n');
  }
  ExpectSeriesMarksAsScanned(chunks);
  EXPECT_EQ(Join(chunks), text);
  // Five more lines, the last refused: nothing of them stays.
  EXPECT_FALSE(lines.Convert("m v=1 1\nm v=2 2\nm v=3 3\nm v=4 4\nbad\n", Precision::kNanoseconds,
                             kT0, &chunks, &result)
                   .ok());
  EXPECT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks.points(), 10u);
  EXPECT_EQ(Join(chunks), text);
  // Clear keeps the maximum.
  chunks.Clear();
  ASSERT_TRUE(lines.Convert(text, Precision::kNanoseconds, kT0, &chunks, &result).ok());
  EXPECT_EQ(chunks.size(), 4u);
  // Lines shorter than chunk_bytes / 64 in all are not cut by their count:
  // a request makes at most 64 chunks per chunk_bytes of lines.
  LineChunks few(/*chunk_bytes=*/64 * 1024);
  few.set_max_chunk_points(1);
  text.clear();
  for (int i = 0; i < 2000; ++i) absl::StrAppend(&text, "m v=", i % 10, "\n");
  ASSERT_TRUE(lines.Convert(text, Precision::kNanoseconds, kT0, &few, &result).ok());
  ASSERT_GT(few.size(), 2u);
  for (size_t i = 0; i + 1 < few.size(); ++i) {
    EXPECT_GE(few.chunk(i).size(), 1024u) << i;  // and one line past it at most
    EXPECT_LT(few.chunk(i).size(), 1024u + 40) << i;
  }
  // Lines cut by their count reserve about what the chunk before held,
  // not the 4 MiB of chunk_bytes each (glibc's count of the heap in use).
  text.clear();
  for (int i = 0; i < 10000; ++i) {
    absl::StrAppend(&text, "measurement,feed=f v=", i, ",w=", i * 7, " ", 1000000 + i, "\n");
  }
  const struct mallinfo2 before = mallinfo2();
  {
    LineChunks small;
    small.set_max_chunk_points(2000);  // about 90 KB: past 4 MiB / 64
    ASSERT_TRUE(lines.Convert(text, Precision::kNanoseconds, kT0, &small, &result).ok());
    ASSERT_EQ(small.size(), 5u);
    const struct mallinfo2 after = mallinfo2();
    EXPECT_LT(after.uordblks + after.hblkhd, before.uordblks + before.hblkhd + (4u << 20));
  }
}

}  // namespace
}  // namespace ocs_influx::core
