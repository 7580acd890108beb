#include "client/line_batcher.h"

#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ocs_influx::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<LineBatch> BatchAll(const std::string& input, size_t max_lines,
                                size_t max_bytes, size_t chunk = 64 << 10) {
  std::istringstream in(input);
  LineBatcher batcher(&in, max_lines, max_bytes, chunk);
  std::vector<LineBatch> batches;
  LineBatch batch;
  while (true) {
    absl::StatusOr<bool> next = batcher.Next(&batch);
    EXPECT_TRUE(next.ok()) << next.status();
    if (!next.ok() || !*next) break;
    batches.push_back(batch);
  }
  return batches;
}

std::vector<std::string> Texts(const std::vector<LineBatch>& batches) {
  std::vector<std::string> texts;
  for (const LineBatch& b : batches) texts.push_back(b.text);
  return texts;
}

TEST(LineBatcherTest, RespectsMaxLines) {
  std::vector<LineBatch> batches =
      BatchAll("a v=1\nb v=2\nc v=3\nd v=4\ne v=5\n", 2, 1000);
  EXPECT_THAT(Texts(batches),
              ElementsAre("a v=1\nb v=2\n", "c v=3\nd v=4\n", "e v=5\n"));
  EXPECT_EQ(batches[0].line_count, 2u);
  EXPECT_EQ(batches[2].line_count, 1u);
  EXPECT_EQ(batches[1].first_line, 3u);
  EXPECT_EQ(batches[1].last_line, 4u);
}

TEST(LineBatcherTest, RespectsMaxBytesWithoutSplittingLines) {
  // Each line is 6 bytes with its "\n": two fit in 13 bytes, three do not.
  std::vector<LineBatch> batches =
      BatchAll("a v=1\nb v=2\nc v=3\nd v=4\ne v=5\n", 100, 13);
  EXPECT_THAT(Texts(batches),
              ElementsAre("a v=1\nb v=2\n", "c v=3\nd v=4\n", "e v=5\n"));
  for (const LineBatch& b : batches) EXPECT_LE(b.text.size(), 13u);
}

TEST(LineBatcherTest, LineExactlyFillingABatchFits) {
  EXPECT_THAT(Texts(BatchAll("abcde\nfghij\n", 100, 6)),
              ElementsAre("abcde\n", "fghij\n"));
}

TEST(LineBatcherTest, FinalLineWithoutNewline) {
  std::vector<LineBatch> batches = BatchAll("a v=1\nb v=2", 10, 1000);
  EXPECT_THAT(Texts(batches), ElementsAre("a v=1\nb v=2\n"));
  EXPECT_EQ(batches[0].line_count, 2u);
}

TEST(LineBatcherTest, CrlfBecomesLf) {
  EXPECT_THAT(Texts(BatchAll("a v=1\r\nb v=2\r\nc v=3\r", 10, 1000)),
              ElementsAre("a v=1\nb v=2\nc v=3\n"));
}

TEST(LineBatcherTest, CrDoesNotCountAgainstTheByteLimit) {
  EXPECT_THAT(Texts(BatchAll("abcde\r\nfghij\r\n", 100, 6)),
              ElementsAre("abcde\n", "fghij\n"));
}

TEST(LineBatcherTest, EmptyInputGivesNoBatch) {
  EXPECT_TRUE(BatchAll("", 10, 1000).empty());
}

TEST(LineBatcherTest, BlankLinesKeepTheirPlaceSoLineNumbersMatchTheFile) {
  std::vector<LineBatch> batches = BatchAll("\n# comment\na v=1\n", 2, 1000);
  EXPECT_THAT(Texts(batches), ElementsAre("\n# comment\n", "a v=1\n"));
  EXPECT_EQ(batches[1].first_line, 3u);
}

TEST(LineBatcherTest, LinesSpanningReadChunksStayWhole) {
  std::string input;
  for (int i = 0; i < 200; ++i) {
    input += "measurement,tag=" + std::to_string(i) + " value=" +
             std::to_string(i * 7) + "i\n";
  }
  for (size_t chunk : {1, 3, 7, 64}) {
    std::vector<LineBatch> batches = BatchAll(input, 17, 400, chunk);
    std::string joined;
    uint64_t lines = 0;
    for (const LineBatch& b : batches) {
      EXPECT_LE(b.line_count, 17u);
      EXPECT_LE(b.text.size(), 400u);
      ASSERT_FALSE(b.text.empty());
      EXPECT_EQ(b.text.back(), '\n');
      EXPECT_EQ(b.first_line, lines + 1);
      lines += b.line_count;
      EXPECT_EQ(b.last_line, lines);
      joined += b.text;
    }
    EXPECT_EQ(joined, input) << "chunk " << chunk;
    EXPECT_EQ(lines, 200u);
  }
}

TEST(LineBatcherTest, LineLongerThanAMessageIsAnErrorNamingIt) {
  std::istringstream in("short\n" + std::string(100, 'x') + "\nafter\n");
  LineBatcher batcher(&in, 10, 50, 8);
  LineBatch batch;
  // The line before it still arrives, then the error.
  absl::StatusOr<bool> next = batcher.Next(&batch);
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_TRUE(*next);
  EXPECT_EQ(batch.text, "short\n");
  next = batcher.Next(&batch);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(next.status().message(), HasSubstr("line 2"));
}

TEST(LineBatcherTest, LongLineWithoutNewlineIsNotReadWhole) {
  // A file of one endless line must fail early, not fill memory.
  class EndlessBuf : public std::streambuf {
   protected:
    int_type underflow() override {
      ++reads;
      setg(buf_, buf_, buf_ + sizeof(buf_));
      return 'x';
    }

   public:
    EndlessBuf() { std::fill(buf_, buf_ + sizeof(buf_), 'x'); }
    int reads = 0;

   private:
    char buf_[1024];
  } endless;
  std::istream in(&endless);
  LineBatcher batcher(&in, 10, 4096, 1024);
  LineBatch batch;
  absl::StatusOr<bool> next = batcher.Next(&batch);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(endless.reads, 10);
}

}  // namespace
}  // namespace ocs_influx::client
