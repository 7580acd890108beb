// The spool on a real, tiny tmpfs: a disk that is full, not a file size
// limit standing in for one. Needs root (mount); skipped otherwise, as the
// fault suite's disk_full_test is.
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/spool/spool.h"

namespace ocs_influx::spool {
namespace {

namespace fs = std::filesystem;

class TmpfsMount {
 public:
  explicit TmpfsMount(uint64_t bytes) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = (fs::path(tmp != nullptr ? tmp : "/tmp") / absl::StrCat("tmpfs_", info->name())).string();
    fs::create_directories(dir_);
    const std::string options = absl::StrCat("size=", bytes, ",mode=0700");
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = absl::StrCat("mount tmpfs on ", dir_, ": ", std::strerror(errno));
    }
  }
  ~TmpfsMount() {
    if (mounted_ && ::umount2(dir_.c_str(), 0) != 0) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

// Writes `path` until the disk is full or `max_bytes` are written.
void Fill(const std::string& path, uint64_t max_bytes) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::vector<char> block(4096, 'x');
  uint64_t written = 0;
  while (written < max_bytes && std::fwrite(block.data(), 1, block.size(), f) == block.size()) {
    written += block.size();
    if (std::fflush(f) != 0) break;
  }
  std::fclose(f);
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("segment-", 0) == 0) out.push_back(e.path().string());
  }
  return out;
}

// Issue 8 item 9: Open found the disk already full, so the acknowledgement
// file could not be created; later, with the disk full again, Acknowledge
// can neither write a new file nor overwrite one that is not there. It must
// still free the delivered segments and persist its position.
TEST(SpoolDiskFullTest, AcknowledgeWithoutAnAckFileOnAFullDisk) {
  TmpfsMount fs_mount(1 << 20);
  if (!fs_mount.mounted()) GTEST_SKIP() << "needs a tmpfs mount (root): " << fs_mount.error();
  const std::string dir = fs_mount.dir() + "/spool";
  fs::create_directory(dir);
  const std::string filler = fs_mount.dir() + "/filler";
  Fill(filler, 2 << 20);  // the whole disk

  SpoolOptions options;
  options.dir = dir;
  options.fsync = true;
  auto opened = Spool::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<Spool> spool = *std::move(opened);
  ASSERT_FALSE(fs::exists(dir + "/acked")) << "the disk was not full at Open";

  // Room for some records, then full again.
  fs::remove(filler);
  Fill(filler, (1 << 20) - (128 << 10));
  const std::string lines(4000, 'a');
  uint64_t last = 0;
  absl::Status append_status;
  for (int i = 0; i < 1000; ++i) {
    Chunk chunk{lines, 1};
    absl::StatusOr<uint64_t> seq = spool->Append({&chunk, 1});
    if (!seq.ok()) {
      append_status = seq.status();
      break;
    }
    last = *seq;
  }
  ASSERT_TRUE(absl::IsResourceExhausted(append_status)) << append_status;
  ASSERT_GT(last, 0u);

  std::vector<Record> batch;
  uint64_t read = 0;
  do {
    ASSERT_TRUE(spool->Read(1000, absl::ZeroDuration(), &batch).ok());
    read += batch.size();
  } while (!batch.empty());
  ASSERT_EQ(read, last);
  absl::Status acked = spool->Acknowledge(last);
  EXPECT_TRUE(acked.ok()) << acked;
  EXPECT_TRUE(SegmentFiles(dir).empty());
  EXPECT_TRUE(fs::exists(dir + "/acked"));
  Chunk chunk{lines, 1};
  absl::StatusOr<uint64_t> next = spool->Append({&chunk, 1});
  EXPECT_TRUE(next.ok()) << next.status();

  // The position survives a restart: nothing is sent again.
  spool.reset();
  opened = Spool::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ((*opened)->Stats().records, next.ok() ? 1u : 0u);
}

}  // namespace
}  // namespace ocs_influx::spool
