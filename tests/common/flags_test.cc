#include "common/flags/flags.h"

#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ocs_influx::flags {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

struct ParseRun {
  std::optional<int> exit;
  std::string out, err;
  std::vector<std::string> positional;
};

ParseRun Parse(const std::vector<std::string>& args, Arguments arguments = {}) {
  std::string name = "x";
  bool b = false;
  FlagSet flag_set("prog [FLAGS]", "Does things.");
  flag_set.AddString("name", &name, "A name.");
  flag_set.AddBool("b", &b, "A bool.");
  std::ostringstream out, err;
  ParseRun run;
  run.exit = ParseCommandLine(flag_set, args, "prog: cmd", arguments, &run.positional, out, err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

TEST(ParseCommandLineTest, GoesOnWhenAllIsWell) {
  ParseRun run = Parse({"--name", "y", "--b"});
  EXPECT_EQ(run.exit, std::nullopt);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "");
}

TEST(ParseCommandLineTest, HelpPrintsUsageToOutAndExitsZero) {
  for (const char* help : {"--help", "-h"}) {
    ParseRun run = Parse({"--name", "y", help});
    EXPECT_THAT(run.exit, Optional(kExitOk));
    EXPECT_THAT(run.out, HasSubstr("Usage: prog [FLAGS]"));
    EXPECT_EQ(run.err, "");
  }
  // --help before a bad flag: the reader asked for help first.
  EXPECT_THAT(Parse({"--help", "--bogus"}).exit, Optional(kExitOk));
}

TEST(ParseCommandLineTest, BadFlagIsAUsageErrorOnErr) {
  ParseRun run = Parse({"--bogus", "--help"});
  EXPECT_THAT(run.exit, Optional(kExitUsage));
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "prog: cmd: unknown flag --bogus (see --help)\n");
}

TEST(ParseCommandLineTest, PositionalWordsAreCounted) {
  ParseRun none = Parse({"extra"});
  EXPECT_THAT(none.exit, Optional(kExitUsage));
  EXPECT_EQ(none.err, "prog: cmd: unexpected argument \"extra\" (see --help)\n");

  Arguments one_file{1, "FILE"};
  ParseRun one = Parse({"f1"}, one_file);
  EXPECT_EQ(one.exit, std::nullopt);
  EXPECT_EQ(one.positional, std::vector<std::string>{"f1"});
  ParseRun two = Parse({"f1", "f2"}, one_file);
  EXPECT_THAT(two.exit, Optional(kExitUsage));
  EXPECT_EQ(two.err, "prog: cmd: at most one FILE (see --help)\n");
}

}  // namespace
}  // namespace ocs_influx::flags
