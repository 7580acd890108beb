// The writer's delivery logic against scripted answers (ScriptedEndpoint):
// what it does with each kind of answer InfluxDB (or something else) gives,
// without an influxd. The integration tests (tests/influx, tests/faults,
// tests/service) run the same writer against a real influxd 1.6.
#include "service/engine/writer.h"

#include <stdlib.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/scripted_endpoint.h"

namespace ocs_influx::server {
namespace {

using influx::WriteOutcome;
using influx::WriteResult;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ScriptedEndpoint;

constexpr absl::Duration kDeliveryTimeout = absl::Seconds(20);

// "m,feed=f v=I I\n" for I in [1, n]; `odd` replaces line `odd_line`'s field.
std::string Lines(int n, int odd_line = 0, const std::string& odd = "") {
  std::string out;
  for (int i = 1; i <= n; ++i) {
    if (i == odd_line) {
      absl::StrAppend(&out, "m,feed=f ", odd, " ", i, "\n");
    } else {
      absl::StrAppend(&out, "m,feed=f v=", i, " ", i, "\n");
    }
  }
  return out;
}

bool Contains(std::string_view s, std::string_view what) {
  return s.find(what) != std::string_view::npos;
}

size_t LineCount(std::string_view lines) {
  return static_cast<size_t>(std::count(lines.begin(), lines.end(), '\n'));
}

// The first `n` writes get `bad`, the rest are stored.
ScriptedEndpoint::Answer FirstThen(int n, WriteResult bad) {
  auto count = std::make_shared<int>(0);  // the endpoint's lock guards it
  return [count, n, bad](std::string_view) {
    return (*count)++ < n ? bad : ScriptedEndpoint::Ok();
  };
}

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp",
                                    "/writer_test.XXXXXX");
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    spool::SpoolOptions so;
    so.dir = dir_ + "/spool";
    so.fsync = false;
    auto spool = spool::Spool::Open(so);
    ASSERT_TRUE(spool.ok()) << spool.status();
    spool_ = std::move(*spool);
    // A recording under way: only then does the writer mark it degraded.
    ASSERT_TRUE(recording_.Start(/*test_mode=*/false).ok());
    recording_.MarkRunning();
    dead_letter_ = std::make_unique<DeadLetterFile>(dir_ + "/dead-letter.lp");
    auto fake = std::make_unique<ScriptedEndpoint>();
    influx_ = fake.get();
    WriterOptions o;
    o.batch_size = 64;
    o.flush_interval = absl::Milliseconds(5);
    o.initial_backoff = absl::Milliseconds(1);
    o.max_backoff = absl::Milliseconds(20);
    o.stats_interval = absl::ZeroDuration();  // only the test's writes
    writer_ = std::make_unique<Writer>(o, spool_.get(), std::move(fake), dead_letter_.get(),
                                       &counters_, &connection_, &recording_, &feeds_);
  }
  void TearDown() override {
    if (writer_) writer_->Stop(absl::ZeroDuration());
  }

  // Appends `lines` as one record and asks for it to be sent; its seq.
  uint64_t Send(const std::string& lines) {
    spool::Chunk chunk{lines, static_cast<uint32_t>(LineCount(lines))};
    auto seq = spool_->Append(absl::MakeConstSpan(&chunk, 1));
    EXPECT_TRUE(seq.ok()) << seq.status();
    writer_->RequestFlush();
    return seq.ok() ? *seq : 0;
  }
  bool Delivered(uint64_t seq, absl::Duration timeout = kDeliveryTimeout) {
    return spool_->WaitAcknowledged(seq, absl::Now() + timeout);
  }
  std::string DeadLetters() const {
    std::ifstream in(dead_letter_->path());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  uint64_t Get(const std::atomic<uint64_t>& a) const { return a.load(); }

  std::string dir_;
  std::unique_ptr<spool::Spool> spool_;
  std::unique_ptr<DeadLetterFile> dead_letter_;
  Counters counters_;
  ConnectionState connection_;
  Recording recording_;
  FeedTracker feeds_{absl::Minutes(1)};
  ScriptedEndpoint* influx_ = nullptr;  // owned by writer_
  std::unique_ptr<Writer> writer_;      // last: stopped and destroyed first
};

TEST_F(WriterTest, StoredBatchIsAcknowledgedOnce) {
  writer_->Start();
  const std::string lines = Lines(10);
  ASSERT_TRUE(Delivered(Send(lines)));
  EXPECT_EQ(influx_->stored(), lines);
  EXPECT_EQ(influx_->writes().size(), 1u);
  EXPECT_EQ(Get(counters_.points_written), 10u);
  EXPECT_EQ(Get(counters_.points_dead_lettered), 0u);
  EXPECT_TRUE(connection_.Get().connected);
  EXPECT_FALSE(recording_.Snapshot().degraded);
  EXPECT_EQ(DeadLetters(), "");
}

// A record goes out as it is (no copy) when it is the batch, in slices of
// batch-size lines when it is larger; records together are joined up to
// batch-size lines. Nothing is lost or sent twice either way.
TEST_F(WriterTest, RecordsAreJoinedOrCutAtBatchSize) {
  const std::string big = Lines(150);  // batch_size is 64
  Send(big);  // the writer is not started yet: all three wait in the spool
  const std::string a = Lines(30), b = Lines(30);
  Send(a);
  const uint64_t last = Send(b);
  writer_->Start();
  ASSERT_TRUE(Delivered(last));
  EXPECT_EQ(influx_->stored(), big + a + b);
  std::vector<size_t> sizes;
  for (const auto& w : influx_->writes()) sizes.push_back(LineCount(w.lines));
  EXPECT_EQ(sizes, (std::vector<size_t>{64, 64, 22, 60}));
  EXPECT_EQ(Get(counters_.points_written), 210u);
}

// Records of one request that do not lie end to end in memory (one from
// the spool's memory, the next ones read from the file, as after a record
// too large for the memory) are joined into one body: the request is the
// same as for records that do, which go as one view.
TEST_F(WriterTest, RecordsApartInMemoryAreJoinedIntoOneRequest) {
  writer_.reset();
  spool_.reset();
  spool::SpoolOptions so;
  so.dir = dir_ + "/spool_small_memory";
  so.fsync = false;
  so.memory_bytes = 700;  // takes at most 350 bytes at once
  auto spool = spool::Spool::Open(so);
  ASSERT_TRUE(spool.ok()) << spool.status();
  spool_ = std::move(*spool);
  auto fake = std::make_unique<ScriptedEndpoint>();
  influx_ = fake.get();
  WriterOptions o;
  o.batch_size = 64;
  o.flush_interval = absl::Milliseconds(5);
  o.stats_interval = absl::ZeroDuration();
  writer_ = std::make_unique<Writer>(o, spool_.get(), std::move(fake), dead_letter_.get(),
                                     &counters_, &connection_, &recording_, &feeds_);
  const std::string a = Lines(20);                                           // 322 bytes: kept
  const std::string b = Lines(20, 20, absl::StrCat("s=\"", std::string(100, 'x'), "\""));  // too large
  const std::string c = Lines(20);                                           // kept, read with b
  Send(a);
  Send(b);
  const uint64_t last = Send(c);
  writer_->Start();
  ASSERT_TRUE(Delivered(last));
  ASSERT_EQ(influx_->writes().size(), 1u);
  EXPECT_EQ(influx_->writes()[0].lines, a + b + c);
  EXPECT_EQ(spool_->Stats().records_read_from_memory, 1u);
}

TEST_F(WriterTest, RefusedLineIsBisectedAndAloneDeadLettered) {
  // influxd 1.x refuses a whole batch (400) for one bad line.
  influx_->SetAnswer([](std::string_view lines) {
    return Contains(lines, "bad=")
               ? ScriptedEndpoint::Answered(WriteOutcome::kRejected, 400,
                                            "partial write: field type conflict")
               : ScriptedEndpoint::Ok();
  });
  writer_->Start();
  const std::string lines = Lines(8, 5, "bad=\"text\"");
  ASSERT_TRUE(Delivered(Send(lines)));
  std::string good;
  for (absl::string_view l : absl::StrSplit(lines, '\n', absl::SkipEmpty())) {
    if (!absl::StrContains(l, "bad=")) absl::StrAppend(&good, l, "\n");
  }
  EXPECT_EQ(influx_->stored(), good);  // in spool order
  EXPECT_EQ(Get(counters_.points_written), 7u);
  EXPECT_EQ(Get(counters_.points_dead_lettered), 1u);
  const std::string dead = DeadLetters();
  EXPECT_THAT(dead, HasSubstr("m,feed=f bad=\"text\" 5\n"));
  EXPECT_THAT(dead, HasSubstr("field type conflict"));
  EXPECT_THAT(dead, Not(HasSubstr("v=4 4")));
  EXPECT_THAT(dead, Not(HasSubstr("v=6 6")));
}

TEST_F(WriterTest, TooLargeIsSplitUntilItFitsAndNothingIsDeadLettered) {
  influx_->SetAnswer([](std::string_view lines) {
    return LineCount(lines) > 2
               ? ScriptedEndpoint::Answered(WriteOutcome::kTooLarge, 413,
                                            "Request Entity Too Large")
               : ScriptedEndpoint::Ok();
  });
  writer_->Start();
  const std::string lines = Lines(8);
  ASSERT_TRUE(Delivered(Send(lines)));
  EXPECT_EQ(influx_->stored(), lines);
  EXPECT_EQ(Get(counters_.batches_split), 3u);  // 8 -> 4 + 4 -> 2 + 2 + 2 + 2
  EXPECT_EQ(Get(counters_.points_written), 8u);
  EXPECT_EQ(Get(counters_.points_dead_lettered), 0u);
  EXPECT_EQ(DeadLetters(), "");
}

TEST_F(WriterTest, LineThatAlwaysGets500IsHalvedAloneAndWaitsNeverDeadLettered) {
  influx_->SetAnswer([](std::string_view lines) {
    return Contains(lines, "poison")
               ? ScriptedEndpoint::Answered(WriteOutcome::kRetryable, 500, "internal error")
               : ScriptedEndpoint::Ok();
  });
  writer_->Start();
  const std::string lines = Lines(8, 6, "poison=1");
  const uint64_t seq = Send(lines);
  // The line stands alone and keeps being retried.
  ASSERT_TRUE(influx_->AwaitWrites(
      [](const std::vector<ScriptedEndpoint::Call>& w) {
        int alone = 0;
        for (const auto& c : w) alone += c.lines == "m,feed=f poison=1 6\n" ? 1 : 0;
        return alone >= 4;
      },
      kDeliveryTimeout));
  // What came before it landed; what follows waits behind it, in order.
  EXPECT_EQ(influx_->stored(), Lines(5));
  EXPECT_GE(influx_->pings(), 1);  // halving only while InfluxDB answers
  EXPECT_FALSE(Delivered(seq, absl::Milliseconds(50)));
  EXPECT_EQ(DeadLetters(), "");
  EXPECT_THAT(connection_.Get().last_error, HasSubstr("one line fails alone"));
  EXPECT_TRUE(recording_.Snapshot().degraded);

  influx_->SetAnswer(nullptr);  // InfluxDB takes it after all
  ASSERT_TRUE(Delivered(seq));
  EXPECT_EQ(influx_->stored(), lines);
  EXPECT_EQ(Get(counters_.points_dead_lettered), 0u);
  EXPECT_FALSE(recording_.Snapshot().degraded);
}

TEST_F(WriterTest, BusyServer503IsRetriedWholeNotHalved) {
  influx_->SetAnswer(FirstThen(
      5, ScriptedEndpoint::Answered(WriteOutcome::kRetryable, 503, "service unavailable")));
  writer_->Start();
  const std::string lines = Lines(8);
  ASSERT_TRUE(Delivered(Send(lines)));
  const auto writes = influx_->writes();
  ASSERT_EQ(writes.size(), 6u);
  for (const auto& w : writes) EXPECT_EQ(w.lines, lines);
  EXPECT_EQ(Get(counters_.batches_split), 0u);
  EXPECT_EQ(Get(counters_.retries), 5u);
  EXPECT_EQ(influx_->pings(), 0);
}

TEST_F(WriterTest, UnauthorizedKeepsThePointsUntilTheTokenWorks) {
  influx_->SetAnswer(FirstThen(
      4, ScriptedEndpoint::Answered(WriteOutcome::kUnauthorized, 401,
                                    "InfluxDB refused the token (HTTP 401)")));
  writer_->Start();
  const std::string lines = Lines(8);
  const uint64_t seq = Send(lines);
  ASSERT_TRUE(influx_->AwaitWrites(
      [](const std::vector<ScriptedEndpoint::Call>& w) { return w.size() >= 2; },
      kDeliveryTimeout));
  ASSERT_TRUE(Delivered(seq));
  EXPECT_EQ(influx_->stored(), lines);
  for (const auto& w : influx_->writes()) EXPECT_EQ(w.lines, lines);  // never split
  EXPECT_EQ(Get(counters_.points_dead_lettered), 0u);
  EXPECT_EQ(DeadLetters(), "");
  EXPECT_FALSE(recording_.Snapshot().degraded);
}

TEST_F(WriterTest, UnauthorizedDegradesTheRecording) {
  influx_->SetAnswer([](std::string_view) {
    return ScriptedEndpoint::Answered(WriteOutcome::kUnauthorized, 401,
                                      "InfluxDB refused the token (HTTP 401)");
  });
  writer_->Start();
  const uint64_t seq = Send(Lines(3));
  ASSERT_TRUE(influx_->AwaitWrites(
      [](const std::vector<ScriptedEndpoint::Call>& w) { return w.size() >= 3; },
      kDeliveryTimeout));
  EXPECT_TRUE(recording_.Snapshot().degraded);
  EXPECT_FALSE(connection_.Get().connected);
  EXPECT_THAT(connection_.Get().last_error, HasSubstr("refused the token"));
  EXPECT_FALSE(Delivered(seq, absl::Milliseconds(20)));
  EXPECT_EQ(DeadLetters(), "");
}

TEST_F(WriterTest, DatabaseNotFoundIsCreatedThenTheBatchSentAgain) {
  influx_->SetAnswer(FirstThen(
      1, ScriptedEndpoint::Answered(WriteOutcome::kDatabaseNotFound, 404,
                                    "database not found: \"ocs_feeds\"")));
  writer_->Start();
  const std::string lines = Lines(4);
  ASSERT_TRUE(Delivered(Send(lines)));
  EXPECT_EQ(influx_->creates(), 1);
  ASSERT_EQ(influx_->writes().size(), 2u);
  EXPECT_EQ(influx_->stored(), lines);
  EXPECT_EQ(DeadLetters(), "");
}

TEST_F(WriterTest, RetryAfterIsWaitedRatherThanTheBackoff) {
  WriteResult busy =
      ScriptedEndpoint::Answered(WriteOutcome::kRetryable, 429, "too many requests");
  busy.retry_after = absl::Milliseconds(400);  // max_backoff is 20 ms
  influx_->SetAnswer(FirstThen(1, busy));
  writer_->Start();
  ASSERT_TRUE(Delivered(Send(Lines(2))));
  const auto writes = influx_->writes();
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_GE(writes[1].at - writes[0].at, absl::Milliseconds(390));
  EXPECT_EQ(writes[1].lines, writes[0].lines);
}

TEST_F(WriterTest, AnswerNotFromInfluxDBKeepsThePoints) {
  // A proxy's 200 or 404: nothing is known stored, nothing is known bad.
  influx_->SetAnswer(FirstThen(
      3, ScriptedEndpoint::Answered(WriteOutcome::kNotInfluxDB, 200,
                                    "answer from something that is not InfluxDB")));
  writer_->Start();
  const std::string lines = Lines(6);
  ASSERT_TRUE(Delivered(Send(lines)));
  ASSERT_EQ(influx_->writes().size(), 4u);
  for (const auto& w : influx_->writes()) EXPECT_EQ(w.lines, lines);  // never split
  EXPECT_EQ(influx_->stored(), lines);
  EXPECT_EQ(Get(counters_.points_written), 6u);
  EXPECT_EQ(DeadLetters(), "");
}

TEST_F(WriterTest, PartialWriteDeadLettersOnlyTheNamedLinesWithoutResending) {
  influx_->SetAnswer([](std::string_view) {
    WriteResult r = ScriptedEndpoint::Answered(WriteOutcome::kPartial, 400,
                                               "partial write of line protocol occurred");
    r.rejected.push_back({3, "invalid column type for column 'v'"});
    return r;
  });
  writer_->Start();
  ASSERT_TRUE(Delivered(Send(Lines(8))));
  EXPECT_EQ(influx_->writes().size(), 1u);
  EXPECT_EQ(Get(counters_.points_written), 7u);
  EXPECT_EQ(Get(counters_.points_dead_lettered), 1u);
  const std::string dead = DeadLetters();
  EXPECT_THAT(dead, HasSubstr("# line 3: invalid column type for column 'v'\nm,feed=f v=3 3\n"));
  EXPECT_THAT(dead, Not(HasSubstr("v=2 2")));
  EXPECT_THAT(dead, Not(HasSubstr("v=4 4")));
}

TEST_F(WriterTest, MissingRetentionPolicyIsConfigurationNotData) {
  influx_->SetAnswer(FirstThen(
      3, ScriptedEndpoint::Answered(WriteOutcome::kRejected, 400,
                                    "retention policy not found: \"rp\"")));
  writer_->Start();
  const std::string lines = Lines(4);
  ASSERT_TRUE(Delivered(Send(lines)));
  ASSERT_EQ(influx_->writes().size(), 4u);
  for (const auto& w : influx_->writes()) EXPECT_EQ(w.lines, lines);
  EXPECT_EQ(DeadLetters(), "");
  EXPECT_EQ(Get(counters_.batches_split), 0u);
}

TEST_F(WriterTest, CheckDatabasePingsAndPreparesTheTarget) {
  writer_->Start();
  EXPECT_TRUE(writer_->CheckDatabase(kDeliveryTimeout));
  EXPECT_EQ(influx_->pings(), 1);
  EXPECT_EQ(influx_->prepares(), 1);

  influx_->SetPingStatus(absl::UnavailableError("connection refused"));
  EXPECT_FALSE(writer_->CheckDatabase(kDeliveryTimeout));
  EXPECT_EQ(influx_->prepares(), 1);  // not after a failed ping
  EXPECT_TRUE(recording_.Snapshot().degraded);
  EXPECT_THAT(connection_.Get().last_error, HasSubstr("connection refused"));
}

}  // namespace
}  // namespace ocs_influx::server
