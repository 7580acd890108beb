#include "service/spool/segment_writer.h"

#include <sys/resource.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/spool/segment.h"

namespace ocs_influx::spool {
namespace {

namespace fs = std::filesystem;

std::string FreshDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(tmp != nullptr ? tmp : "/tmp") / absl::StrCat("writer_", info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::vector<iovec> Iov(std::vector<std::string>& bufs) {
  std::vector<iovec> iov;
  for (std::string& b : bufs) iov.push_back({b.data(), b.size()});
  return iov;
}

TEST(SegmentWriterTest, WritesAppendAndRollPastSegmentBytes) {
  const std::string dir = FreshDir();
  SegmentWriter writer(dir, /*segment_bytes=*/100, /*fsync=*/true);
  EXPECT_FALSE(writer.has_file());
  std::vector<std::string> bufs = {std::string(60, 'a'), std::string(50, 'b')};
  std::vector<iovec> iov = Iov(bufs);
  ASSERT_TRUE(writer.Write(&iov, 1).ok());
  EXPECT_EQ(writer.name_seq(), 1u);
  EXPECT_EQ(writer.size(), 110u);
  EXPECT_EQ(fs::file_size(writer.path()), 110u);
  EXPECT_EQ(fs::path(writer.path()).filename(), SegmentFileName(1));

  std::vector<std::string> more = {std::string(10, 'c')};
  iov = Iov(more);
  ASSERT_TRUE(writer.Write(&iov, 3).ok());  // past 100 bytes: a new file
  EXPECT_EQ(writer.name_seq(), 3u);
  EXPECT_EQ(writer.size(), 10u);
  EXPECT_TRUE(fs::exists(fs::path(dir) / SegmentFileName(1)));
}

// A full disk (EFBIG here) leaves no partial write: a file with nothing
// durable is removed; one with durable records is cut back and abandoned.
TEST(SegmentWriterTest, FailedWriteIsUndone) {
  const std::string dir = FreshDir();
  SegmentWriter writer(dir, 1 << 20, /*fsync=*/false);
  std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit old_limit;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  struct rlimit limit = old_limit;
  limit.rlim_cur = 100;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  std::vector<std::string> big = {std::string(200, 'x')};
  std::vector<iovec> iov = Iov(big);
  absl::Status s = writer.Write(&iov, 1);
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_FALSE(writer.has_file());
  EXPECT_TRUE(fs::is_empty(dir)) << "an empty segment was left behind";

  std::vector<std::string> small = {std::string(50, 'y')};
  iov = Iov(small);
  ASSERT_TRUE(writer.Write(&iov, 2).ok());
  writer.set_indexed();
  const std::string path = writer.path();
  iov = Iov(big);
  s = writer.Write(&iov, 3);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_FALSE(writer.has_file()) << "a full disk abandons the segment";
  EXPECT_EQ(fs::file_size(path), 50u) << "cut back to its durable size";
  iov = Iov(small);
  ASSERT_TRUE(writer.Write(&iov, 4).ok());
  EXPECT_EQ(writer.name_seq(), 4u);
}

}  // namespace
}  // namespace ocs_influx::spool
