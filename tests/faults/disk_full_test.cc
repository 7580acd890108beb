// Scenario 3: the spool's disk fills up. The spool lives on a real 4 MiB
// tmpfs, InfluxDB is stopped so nothing drains, and --spool-max-bytes is far
// larger than the filesystem, so the limit that is hit is the disk's
// (ENOSPC), not the publisher's own. Writers must get RESOURCE_EXHAUSTED,
// never INTERNAL, and the publisher must stay up; once InfluxDB is back
// everything accepted lands, the spool's files are deleted, the space comes
// back and writes are accepted again.
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/faults/fault_support.h"
#include "tests/support/influxd.h"

namespace ocs_influx::faults {
namespace {

constexpr uint64_t kFsBytes = 4 << 20;

// A tmpfs of `bytes` mounted on a fresh directory, unmounted on every path
// out of the test (lazily if something still holds it).
class TmpfsMount {
 public:
  explicit TmpfsMount(uint64_t bytes) : dir_(TempDir("spoolfs")) {
    std::string options = absl::StrCat("size=", bytes, ",mode=0755");
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = absl::StrCat("mount -t tmpfs -o ", options, " ", dir_, ": ", std::strerror(errno));
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
  uint64_t FreeBytes() const {
    struct statvfs st;
    if (::statvfs(dir_.c_str(), &st) != 0) return 0;
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

int CountSegmentFiles(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (absl::StartsWith(e.path().filename().string(), "segment-")) ++n;
  }
  return n;
}

TEST(DiskFullTest, FullDiskAnswersResourceExhaustedLosesNothingAndRecovers) {
  // Declared first, destroyed last: the publisher is gone before umount.
  TmpfsMount fs(kFsBytes);
  if (!fs.mounted()) {
    GTEST_SKIP() << "needs a tmpfs mount (root, CAP_SYS_ADMIN): " << fs.error();
  }
  auto influxd = testing::Influxd::Start();
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  ASSERT_TRUE((*influxd)->Stop().ok());

  PublisherArgs args;
  args.influx_port = (*influxd)->port();
  args.spool_dir = fs.dir() + "/spool";
  args.extra = {"--spool-max-bytes", "64MiB", "--dead-letter-file",
                TempDir("dead-letter") + "/dead-letter.lp"};
  PublisherProcess publisher(args);
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();

  // Phase 1: fill the disk. Writers give refused batches up (not accepted)
  // and go on, so they hammer the full disk for a while.
  WriterOptions options;
  options.measurement = "disk_full";
  options.writers = 2;
  options.batch = 100;  // ~4.5 KB of lines per write
  options.retry_exhausted = false;
  options.pause_after_failure = absl::Milliseconds(10);
  uint64_t exhausted = 0;
  {
    Writers writers(publisher.target(), options);
    writers.Start();
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      auto errors = writers.errors();
      if (errors[grpc::StatusCode::RESOURCE_EXHAUSTED] >= 50) break;
      absl::SleepFor(absl::Milliseconds(50));
    }
    writers.Stop();
    auto errors = writers.errors();
    auto samples = writers.error_samples();
    exhausted = errors[grpc::StatusCode::RESOURCE_EXHAUSTED];
    ASSERT_GE(exhausted, 50u) << "the disk never filled:\n" << publisher.LogTail();
    for (const auto& [code, n] : errors) {
      EXPECT_EQ(code, grpc::StatusCode::RESOURCE_EXHAUSTED)
          << n << " writes failed with code " << code << ": " << samples[code];
    }
    // The disk's limit, not --spool-max-bytes.
    EXPECT_TRUE(absl::StrContains(samples[grpc::StatusCode::RESOURCE_EXHAUSTED],
                                  "No space left on device"))
        << samples[grpc::StatusCode::RESOURCE_EXHAUSTED];
    ASSERT_TRUE(publisher.Alive()) << publisher.LogTail();
    auto status = publisher.GetStatus();
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(status->spool().points(), writers.accepted_points());
    EXPECT_LT(fs.FreeBytes(), 64u << 10) << "the tmpfs is not full";

    // Phase 2: InfluxDB back: everything accepted lands.
    ASSERT_TRUE((*influxd)->Restart().ok());
    const absl::Time restarted = absl::Now();
    ASSERT_TRUE(publisher.Flush(absl::Seconds(45))) << publisher.LogTail();
    const double recovery_s = absl::ToDoubleSeconds(absl::Now() - restarted);
    auto verdict = Verify((*influxd)->port(), "ocs_feeds", options.measurement, writers.ledgers());
    ASSERT_TRUE(verdict.ok()) << verdict.status();

    // Phase 3: the space comes back and writes are accepted again.
    uint64_t free_bytes = 0;
    const absl::Time space_deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < space_deadline) {
      free_bytes = fs.FreeBytes();
      if (free_bytes > kFsBytes / 2) break;
      absl::SleepFor(absl::Milliseconds(100));
    }
    const int segments_left = CountSegmentFiles(args.spool_dir);
    WriterOptions again = options;
    again.measurement = "disk_full_after";
    again.writers = 1;
    again.points_per_second = 5000;  // ~0.2 MB in the second: fits easily
    again.retry_exhausted = false;
    Writers after(publisher.target(), again);
    after.Start();
    absl::SleepFor(absl::Seconds(1));
    after.Stop();
    ASSERT_TRUE(publisher.Flush(absl::Seconds(30))) << publisher.LogTail();
    auto verdict_after =
        Verify((*influxd)->port(), "ocs_feeds", again.measurement, after.ledgers());
    ASSERT_TRUE(verdict_after.ok()) << verdict_after.status();

    PrintSummary("disk_full", *verdict, -1, recovery_s,
                 absl::StrCat("fs_bytes=", kFsBytes, " resource_exhausted_rpcs=", exhausted,
                              " refused_points=", writers.refused_points(),
                              " free_bytes_after_drain=", free_bytes,
                              " segments_after_drain=", segments_left,
                              " accepted_after=", verdict_after->accepted,
                              " landed_after=", verdict_after->landed,
                              " errors_after=", after.errors().size()));
    EXPECT_EQ(verdict->lost, 0u) << "first lost: " << verdict->first_lost;
    EXPECT_EQ(verdict->landed, verdict->accepted);
    EXPECT_TRUE(verdict->expected == verdict->found);
    EXPECT_EQ(verdict->wrong_value, 0u);
    EXPECT_EQ(verdict->unknown, 0u);
    EXPECT_GT(verdict->accepted, 0u);
    EXPECT_EQ(verdict->landed_unacked, 0u) << "a refused write reached InfluxDB";

    EXPECT_GT(free_bytes, kFsBytes / 2) << "the drained spool still holds the disk";
    EXPECT_LE(segments_left, 1);
    EXPECT_TRUE(after.errors().empty())
        << "writes still refused after the drain: "
        << (after.error_samples().empty() ? "" : after.error_samples().begin()->second);
    EXPECT_GT(verdict_after->accepted, 0u);
    EXPECT_EQ(verdict_after->lost, 0u);
  }
  auto dead = publisher.GetStatus();
  ASSERT_TRUE(dead.ok());
  EXPECT_EQ(dead->points_dead_lettered(), 0u);
  EXPECT_EQ(publisher.Terminate(), 0) << publisher.LogTail();
}

}  // namespace
}  // namespace ocs_influx::faults
