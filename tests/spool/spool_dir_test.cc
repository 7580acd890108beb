// Issue 8 item 11: the spool directory is private. Created 0700 (parents
// too), an existing one owned by someone else or writable by group/others
// refused, files 0600, symlinks never followed, and no /tmp fallback for
// the default directory.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/config/config.h"
#include "service/spool/spool.h"

namespace ocs_influx::spool {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string FreshDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(tmp != nullptr ? tmp : "/tmp") / absl::StrCat("spooldir_", info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

absl::StatusOr<std::unique_ptr<Spool>> OpenAt(const std::string& dir) {
  SpoolOptions options;
  options.dir = dir;
  options.fsync = true;
  return Spool::Open(options);
}

uint64_t AppendOne(Spool& spool) {
  Chunk chunk{"m v=1i\n", 1};
  absl::StatusOr<uint64_t> seq = spool.Append({&chunk, 1});
  EXPECT_TRUE(seq.ok()) << seq.status();
  return seq.ok() ? *seq : 0;
}

TEST(SpoolDirTest, CreatedPrivateWithPrivateFiles) {
  const mode_t old_umask = ::umask(022);
  const std::string base = FreshDir();
  const std::string dir = base + "/state/ocs/spool";
  auto spool = OpenAt(dir);
  ::umask(old_umask);
  ASSERT_TRUE(spool.ok()) << spool.status();
  EXPECT_EQ(ModeOf(dir), 0700u);
  EXPECT_EQ(ModeOf(base + "/state"), 0700u);
  const uint64_t seq = AppendOne(**spool);
  std::vector<Record> records;
  ASSERT_TRUE((*spool)->Read(10, absl::ZeroDuration(), &records).ok());
  ASSERT_TRUE((*spool)->Acknowledge(seq).ok());
  for (const auto& e : fs::directory_iterator(dir)) {
    EXPECT_EQ(ModeOf(e.path().string()), 0600u) << e.path();
  }
}

TEST(SpoolDirTest, RefusesADirectoryWritableByOthers) {
  const std::string dir = FreshDir() + "/spool";
  fs::create_directory(dir);
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  auto spool = OpenAt(dir);
  ASSERT_FALSE(spool.ok());
  EXPECT_THAT(std::string(spool.status().message()), HasSubstr("writable by group or others"));
  EXPECT_THAT(std::string(spool.status().message()), HasSubstr(dir));
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);  // readable is fine
  EXPECT_TRUE(OpenAt(dir).ok());
}

TEST(SpoolDirTest, RefusesADirectoryOwnedBySomeoneElse) {
  const std::string dir = FreshDir() + "/spool";
  fs::create_directory(dir);
  ::chmod(dir.c_str(), 0700);
  // As root, hand it to another user; otherwise this cannot be set up.
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
  auto spool = OpenAt(dir);
  ASSERT_FALSE(spool.ok());
  EXPECT_THAT(std::string(spool.status().message()), HasSubstr("owned by uid 65534"));
}

TEST(SpoolDirTest, RefusesASymlinkedDirectory) {
  const std::string base = FreshDir();
  fs::create_directory(base + "/real");
  ::chmod((base + "/real").c_str(), 0700);
  fs::create_directory_symlink(base + "/real", base + "/link");
  auto spool = OpenAt(base + "/link");
  ASSERT_FALSE(spool.ok());
  EXPECT_THAT(std::string(spool.status().message()), HasSubstr("symbolic link"));
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Links planted in the spool directory are never followed: recovery must
// not truncate a "segment" that points at another file, nor take its
// position from an "acked" that points elsewhere.
TEST(SpoolDirTest, NeverFollowsSymlinkedFiles) {
  const std::string dir = FreshDir() + "/spool";
  const std::string victim = FreshDir() + "_victim";
  fs::create_directories(victim);
  {
    auto spool = OpenAt(dir);
    ASSERT_TRUE(spool.ok()) << spool.status();
    for (int i = 0; i < 3; ++i) AppendOne(**spool);
  }
  { std::ofstream(victim + "/precious") << "precious, not a record\n"; }
  { std::ofstream(victim + "/position") << "acked 00000000000000000099\n"; }
  fs::create_symlink(victim + "/precious", dir + "/segment-00000000000000000050.log");
  fs::remove(dir + "/acked");
  fs::create_symlink(victim + "/position", dir + "/acked");

  auto spool = OpenAt(dir);
  ASSERT_TRUE(spool.ok()) << spool.status();
  EXPECT_EQ(ReadText(victim + "/precious"), "precious, not a record\n");
  EXPECT_EQ(ReadText(victim + "/position"), "acked 00000000000000000099\n");
  EXPECT_EQ((*spool)->Stats().records, 3u) << "took its position from a planted link";
  EXPECT_EQ(AppendOne(**spool), 4u);
}

class EnvGuard {
 public:
  explicit EnvGuard(const char* name) : name_(name) {
    const char* v = std::getenv(name);
    if (v != nullptr) old_ = v;
    had_ = v != nullptr;
  }
  ~EnvGuard() {
    if (had_) {
      ::setenv(name_, old_.c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

TEST(SpoolDirTest, DefaultFollowsXdgStateHomeThenHomeAndNeverTmp) {
  EnvGuard xdg("XDG_STATE_HOME"), home("HOME");
  ::setenv("XDG_STATE_HOME", "/x/state", 1);
  ::setenv("HOME", "/h", 1);
  EXPECT_EQ(server::DefaultSpoolDir(), "/x/state/ocs-influx-publisher/spool");
  ::unsetenv("XDG_STATE_HOME");
  EXPECT_EQ(server::DefaultSpoolDir(), "/h/.local/state/ocs-influx-publisher/spool");
  ::setenv("XDG_STATE_HOME", "relative/state", 1);  // the spec says ignore it
  EXPECT_EQ(server::DefaultSpoolDir(), "/h/.local/state/ocs-influx-publisher/spool");
  ::unsetenv("XDG_STATE_HOME");
  ::unsetenv("HOME");
  EXPECT_EQ(server::DefaultSpoolDir(), "");

  server::ServiceConfig config;  // spool_dir left empty: no default found
  server::PublisherOptions publisher;
  server::ServerOptions server_options;
  absl::Status s = server::BuildOptions(config, &publisher, &server_options,
                                        [](const char*) -> const char* { return nullptr; });
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("--spool-dir"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("XDG_STATE_HOME"));
}

}  // namespace
}  // namespace ocs_influx::spool
