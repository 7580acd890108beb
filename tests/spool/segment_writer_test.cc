#include "service/spool/segment_writer.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
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
  SegmentWriter writer(dir, /*segment_bytes=*/100, /*fsync=*/true, /*spare=*/nullptr);
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
  SegmentWriter writer(dir, 1 << 20, /*fsync=*/false, /*spare=*/nullptr);
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

ino_t InodeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

std::string Contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A roll writes over the spare (the same inode, its old bytes past the new
// ones), and the sealed segment is cut to what this life wrote.
TEST(SegmentWriterTest, RollWritesOverTheSpareAndSealingCutsTheOldBytes) {
  const std::string dir = FreshDir();
  SpareSegment spare(dir, /*enabled=*/true);
  SegmentWriter writer(dir, /*segment_bytes=*/100, /*fsync=*/true, &spare);
  std::vector<std::string> bufs = {std::string(150, 'a')};
  std::vector<iovec> iov = Iov(bufs);
  ASSERT_TRUE(writer.Write(&iov, 1).ok());
  const std::string first = writer.path();
  const ino_t first_inode = InodeOf(first);
  bufs = {std::string(10, 'b')};
  iov = Iov(bufs);
  ASSERT_TRUE(writer.Write(&iov, 2).ok());  // a new file: no spare yet
  EXPECT_FALSE(writer.reused());

  spare.Offer(first);
  EXPECT_TRUE(spare.held());
  EXPECT_FALSE(fs::exists(first));
  EXPECT_EQ(InodeOf((fs::path(dir) / kSpareSegmentName).string()), first_inode);

  bufs = {std::string(100, 'c')};
  iov = Iov(bufs);
  ASSERT_TRUE(writer.Write(&iov, 3).ok());  // 110 bytes: the next write rolls
  bufs = {std::string(20, 'd')};
  iov = Iov(bufs);
  ASSERT_TRUE(writer.Write(&iov, 4).ok());
  EXPECT_TRUE(writer.reused());
  EXPECT_FALSE(spare.held());
  const std::string fourth = writer.path();
  EXPECT_EQ(fs::path(fourth).filename(), SegmentFileName(4));
  EXPECT_EQ(InodeOf(fourth), first_inode);
  EXPECT_EQ(Contents(fourth), std::string(20, 'd') + std::string(130, 'a'))
      << "written over from the start, the old bytes after";
  EXPECT_EQ(writer.size(), 20u);

  bufs = {std::string(90, 'e')};
  iov = Iov(bufs);
  ASSERT_TRUE(writer.Write(&iov, 5).ok());
  bufs = {std::string(5, 'f')};
  iov = Iov(bufs);
  ASSERT_TRUE(writer.Write(&iov, 6).ok());  // seals the fourth
  EXPECT_EQ(Contents(fourth), std::string(20, 'd') + std::string(90, 'e'))
      << "sealed: cut to its size (the old bytes are gone)";
}

// Writing over a spare and then closing (the spool's shutdown) leaves the
// file cut to what was written; a second offer while one is held deletes.
TEST(SegmentWriterTest, ClosingCutsAReusedFileAndOnlyOneSpareIsKept) {
  const std::string dir = FreshDir();
  SpareSegment spare(dir, /*enabled=*/true);
  const std::string a = (fs::path(dir) / "a").string();
  const std::string b = (fs::path(dir) / "b").string();
  std::ofstream(a) << std::string(300, 'a');
  std::ofstream(b) << std::string(300, 'b');
  spare.Offer(a);
  spare.Offer(b);
  EXPECT_TRUE(spare.held());
  EXPECT_FALSE(fs::exists(b)) << "a second spare is deleted";
  std::string path;
  {
    SegmentWriter writer(dir, /*segment_bytes=*/1000, /*fsync=*/false, &spare);
    std::vector<std::string> bufs = {std::string(40, 'x')};
    std::vector<iovec> iov = Iov(bufs);
    ASSERT_TRUE(writer.Write(&iov, 7).ok());
    EXPECT_TRUE(writer.reused());
    path = writer.path();
  }
  EXPECT_EQ(Contents(path), std::string(40, 'x'));
}

// A disabled spare keeps nothing; Drop gives the space back.
TEST(SegmentWriterTest, DisabledSpareDeletesAndDropDeletes) {
  const std::string dir = FreshDir();
  const std::string a = (fs::path(dir) / "a").string();
  std::ofstream(a) << "a";
  SpareSegment off(dir, /*enabled=*/false);
  off.Offer(a);
  EXPECT_FALSE(off.held());
  EXPECT_TRUE(fs::is_empty(dir));
  std::ofstream(a) << "a";
  SpareSegment on(dir, /*enabled=*/true);
  on.Offer(a);
  EXPECT_TRUE(on.held());
  on.Drop();
  EXPECT_FALSE(on.held());
  EXPECT_TRUE(fs::is_empty(dir));
}

}  // namespace
}  // namespace ocs_influx::spool
