// --feeds / --exclude-feeds: the glob matcher (against a plain recursive
// reference on every small case, and its cost on the inputs that make a
// backtracking matcher exponential), the pattern lists, and the filter's
// verdicts, counts and bounded cache.
#include "ocs_adapter/feed_filter.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ocs_influx::ocs_adapter {
namespace {

// The definition, by recursion: exponential, for small inputs only.
bool ReferenceMatch(const std::string& p, size_t i, const std::string& t, size_t j) {
  if (i == p.size()) return j == t.size();
  if (p[i] == '*') {
    for (size_t k = j; k <= t.size(); ++k) {
      if (ReferenceMatch(p, i + 1, t, k)) return true;
    }
    return false;
  }
  if (j == t.size()) return false;
  return (p[i] == '?' || p[i] == t[j]) && ReferenceMatch(p, i + 1, t, j + 1);
}

TEST(GlobMatchTest, Examples) {
  EXPECT_TRUE(GlobMatch("observatory.lakeshore*.*", "observatory.lakeshore372.temperatures"));
  EXPECT_FALSE(GlobMatch("observatory.lakeshore*.*", "observatory.fake-data1.temps"));
  EXPECT_TRUE(GlobMatch("*.detector_temps", "satp1.bolo.detector_temps"));
  EXPECT_FALSE(GlobMatch("*.detector_temps", "satp1.bolo.detector_temps2"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_TRUE(GlobMatch("a?c", "abc"));
  EXPECT_FALSE(GlobMatch("a?c", "ac"));
  // '*' crosses dots: the name is matched as one string.
  EXPECT_TRUE(GlobMatch("observatory*temps", "observatory.a.b.temps"));
  EXPECT_TRUE(GlobMatch("**a**", "xxa"));
}

TEST(GlobMatchTest, AgreesWithTheDefinitionOnEverySmallCase) {
  std::mt19937 rng(7);
  const char kPatternChars[] = {'a', 'b', '.', '*', '?'};
  const char kTextChars[] = {'a', 'b', '.'};
  for (int n = 0; n < 20000; ++n) {
    std::string p(rng() % 7, ' '), t(rng() % 9, ' ');
    for (char& c : p) c = kPatternChars[rng() % 5];
    for (char& c : t) c = kTextChars[rng() % 3];
    ASSERT_EQ(GlobMatch(p, t), ReferenceMatch(p, 0, t, 0)) << "'" << p << "' on '" << t << "'";
  }
}

TEST(GlobMatchTest, NoExponentialBacktracking) {
  // A backtracking matcher tries every split of the a's between the stars:
  // C(n, 8) steps for this pattern on n a's, far beyond any timeout.
  const std::string pattern = "*a*a*a*a*a*a*a*a*b";
  const std::string text(65536, 'a');
  size_t steps = 0;
  EXPECT_FALSE(GlobMatch(pattern, text, &steps));
  // At most one pass of the text per pattern byte.
  EXPECT_LE(steps, (pattern.size() + 1) * (text.size() + 1));
  // And the usual case is one pass.
  steps = 0;
  EXPECT_TRUE(GlobMatch("observatory.*.detector_temps",
                        "observatory." + std::string(60000, 'x') + ".detector_temps", &steps));
  EXPECT_LE(steps, 3 * 60100u);
}

TEST(ParseFeedPatternsTest, CommaListsAndErrors) {
  auto p = ParseFeedPatterns("feeds", "observatory.lakeshore*.*, *.detector_temps");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, (std::vector<std::string>{"observatory.lakeshore*.*", "*.detector_temps"}));
  auto empty = ParseFeedPatterns("feeds", "");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  auto blank = ParseFeedPatterns("feeds", "a.*,,b.*");
  ASSERT_FALSE(blank.ok());
  EXPECT_NE(blank.status().message().find("--feeds"), std::string::npos) << blank.status();
  auto klass = ParseFeedPatterns("exclude-feeds", "observatory.ls[12].*");
  ASSERT_FALSE(klass.ok());
  EXPECT_NE(klass.status().message().find("--exclude-feeds"), std::string::npos);
  EXPECT_NE(klass.status().message().find("["), std::string::npos);
  EXPECT_FALSE(ParseFeedPatterns("feeds", std::string(kMaxFeedPatternBytes + 1, 'a')).ok());
  std::string many;
  for (size_t i = 0; i <= kMaxFeedPatterns; ++i) many += "a,";
  many += "a";
  EXPECT_FALSE(ParseFeedPatterns("feeds", many).ok());
}

TEST(FeedFilterTest, IncludeThenExcludeAndCounts) {
  FeedFilter filter({"observatory.lakeshore*.*", "*.detector_temps"},
                    {"observatory.lakeshore9.*"});
  EXPECT_TRUE(filter.active());
  EXPECT_TRUE(filter.Admit("observatory.lakeshore1", "temperatures", 10));
  EXPECT_TRUE(filter.Admit("observatory.bolo", "detector_temps", 10));
  EXPECT_FALSE(filter.Admit("observatory.lakeshore9", "temperatures", 7));
  EXPECT_FALSE(filter.Admit("observatory.fake-data1", "false_temperatures", 5));
  EXPECT_FALSE(filter.Admit("observatory.fake-data1", "false_temperatures", 5));
  EXPECT_EQ(filter.publications_skipped(), 3u);
  EXPECT_EQ(filter.points_skipped(), 17u);

  FeedFilter exclude_only({}, {"*.heartbeat", "observatory.a.*"});
  EXPECT_TRUE(exclude_only.Admit("observatory.b", "x", 1));
  EXPECT_FALSE(exclude_only.Admit("observatory.a", "x", 1));
  EXPECT_FALSE(exclude_only.Admit("observatory.b", "heartbeat", 1));

  FeedFilter none({}, {});
  EXPECT_FALSE(none.active());
  EXPECT_TRUE(none.Admit("anything", "at_all", 1));
  EXPECT_EQ(none.cached(), 0u);
}

TEST(FeedFilterTest, VerdictsAreCachedAndTheCacheIsBounded) {
  FeedFilter filter({"observatory.keep*.*"}, {}, /*max_cached=*/64);
  EXPECT_TRUE(filter.Admit("observatory.keep1", "f", 1));
  EXPECT_EQ(filter.cached(), 1u);
  EXPECT_TRUE(filter.Admit("observatory.keep1", "f", 1));
  EXPECT_EQ(filter.cached(), 1u);
  // A hostile stream of fresh names: the cache never exceeds its bound,
  // and every verdict stays right.
  for (int i = 0; i < 10000; ++i) {
    const std::string address = "observatory.x" + std::to_string(i);
    ASSERT_FALSE(filter.Admit(address, "f", 1));
    ASSERT_LE(filter.cached(), 64u);
  }
  EXPECT_TRUE(filter.Admit("observatory.keep1", "f", 1));
  // Names too long to be worth keeping are matched each time, never cached.
  const size_t before = filter.cached();
  EXPECT_FALSE(filter.Admit(std::string(70000, 'y'), "f", 1));
  EXPECT_EQ(filter.cached(), before);
  EXPECT_EQ(filter.publications_skipped(), 10001u);
}

}  // namespace
}  // namespace ocs_influx::ocs_adapter
