#include "common/fd/fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <string>

#include "common/files/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ocs_influx::fd {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TEST(UniqueFdTest, ClosesOnceAndMoves) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  ::close(pipe_fds[1]);
  {
    UniqueFd a(pipe_fds[0]);
    UniqueFd b(std::move(a));
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.get(), pipe_fds[0]);
    UniqueFd c;
    c = std::move(b);
    EXPECT_EQ(c.get(), pipe_fds[0]);
  }
  // Closed by c, and only by c.
  EXPECT_EQ(::fcntl(pipe_fds[0], F_GETFD), -1);
}

TEST(ErrnoStatusTest, CodesTellFullDiskAndMissingFile) {
  EXPECT_TRUE(absl::IsResourceExhausted(ErrnoStatus("write", "/x", ENOSPC)));
  EXPECT_TRUE(absl::IsNotFound(ErrnoStatus("open", "/x", ENOENT)));
  absl::Status s = ErrnoStatus("fsync", "/x/y", EIO);
  EXPECT_TRUE(absl::IsInternal(s));
  EXPECT_THAT(std::string(s.message()), HasSubstr("fsync(/x/y): "));
}

TEST(OpenTest, MissingFileNamesIt) {
  absl::StatusOr<UniqueFd> f = Open("/nonexistent/dir/f", O_RDONLY);
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(absl::IsNotFound(f.status()));
  EXPECT_THAT(std::string(f.status().message()), HasSubstr("/nonexistent/dir/f"));
}

TEST(WriteReadTest, RoundTripOfMoreThanOneBuffer) {
  const std::string path = TempPath("round_trip");
  std::string data(100 * 1024 + 7, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
  {
    absl::StatusOr<UniqueFd> f = Open(path, O_WRONLY | O_CREAT | O_TRUNC);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE(WriteAll(f->get(), path, data).ok());
    ASSERT_TRUE(PwriteAll(f->get(), path, "AB", 1).ok());
  }
  data[1] = 'A';
  data[2] = 'B';
  absl::StatusOr<UniqueFd> f = Open(path, O_RDONLY);
  ASSERT_TRUE(f.ok()) << f.status();
  std::string back;
  ASSERT_TRUE(ReadAll(f->get(), path, data.size(), &back).ok());
  EXPECT_EQ(back, data);

  char buf[16];
  absl::StatusOr<size_t> n = PreadFull(f->get(), path, buf, sizeof(buf), data.size() - 4);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u);  // short only at end of file
  EXPECT_EQ(std::string(buf, 4), data.substr(data.size() - 4));
}

TEST(ReadAllTest, BoundIsEnforcedExactly) {
  const std::string path = TempPath("bounded");
  {
    absl::StatusOr<UniqueFd> f = Open(path, O_WRONLY | O_CREAT | O_TRUNC);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(WriteAll(f->get(), path, "0123456789").ok());
  }
  for (size_t bound : {size_t{10}, size_t{11}, SIZE_MAX}) {
    absl::StatusOr<UniqueFd> f = Open(path, O_RDONLY);
    std::string out;
    EXPECT_TRUE(ReadAll(f->get(), path, bound, &out).ok()) << bound;
    EXPECT_EQ(out, "0123456789");
  }
  absl::StatusOr<UniqueFd> f = Open(path, O_RDONLY);
  std::string out;
  absl::Status s = ReadAll(f->get(), path, 9, &out);
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("larger than 9 bytes"));
}

TEST(ReadAllTest, EndlessFileIsRefusedNotRead) {
  absl::StatusOr<UniqueFd> f = Open("/dev/zero", O_RDONLY);
  ASSERT_TRUE(f.ok());
  std::string out;
  EXPECT_TRUE(absl::IsResourceExhausted(ReadAll(f->get(), "/dev/zero", 1 << 20, &out)));
}

TEST(WriteAllTest, ClosedPipeIsAnErrorNamingTheFile) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  ::close(pipe_fds[0]);
  UniqueFd w(pipe_fds[1]);
  // The test binary must not die of SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  absl::Status s = WriteAll(w.get(), "the pipe", "data");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("write(the pipe)"));
}

TEST(ReadWholeFileTest, BoundedAndNamed) {
  absl::StatusOr<std::string> zero = files::ReadWholeFile("/dev/zero", "CA file", 4096);
  ASSERT_FALSE(zero.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(zero.status()));
  EXPECT_EQ(zero.status().message(), "CA file /dev/zero is larger than 4096 bytes");

  absl::StatusOr<std::string> dir = files::ReadWholeFile("/", "CA file");
  ASSERT_FALSE(dir.ok());
  EXPECT_THAT(std::string(dir.status().message()), HasSubstr("cannot read CA file"));

  absl::StatusOr<std::string> missing = files::ReadWholeFile("/nonexistent/x", "CA file");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("cannot read CA file /nonexistent/x: "));
}

}  // namespace
}  // namespace ocs_influx::fd
