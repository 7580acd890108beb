#include "common/utf8/utf8.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "tests/common/utf8_reference.h"

namespace ocs_influx::utf8 {
namespace {

using utf8_reference::ReferenceIsValid;

// service/influx/client.cc's SanitizeText as it was before Sanitize
// replaced it, kept to show the two agree.
std::string InfluxSanitizeText(std::string_view in, size_t max_len) {
  std::string out;
  out.reserve(std::min(in.size(), max_len + 3));
  bool truncated = false;
  size_t i = 0;
  while (i < in.size()) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    size_t len = 1;
    bool valid = true;
    if (c < 0x80) {
      len = 1;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      len = 4;
    } else {
      valid = false;
    }
    if (valid) {
      if (i + len > in.size()) {
        valid = false;
      } else {
        for (size_t k = 1; k < len; ++k) {
          if ((static_cast<unsigned char>(in[i + k]) & 0xC0) != 0x80) valid = false;
        }
        if (valid && len == 3) {
          const unsigned char c1 = static_cast<unsigned char>(in[i + 1]);
          if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) valid = false;
        }
        if (valid && len == 4) {
          const unsigned char c1 = static_cast<unsigned char>(in[i + 1]);
          if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90)) valid = false;
        }
      }
    }
    if (!valid) len = 1;
    if (out.size() + (valid ? len : 1) > max_len) {
      truncated = true;
      break;
    }
    if (!valid) {
      out += '?';
    } else if (len == 1 && (c < 0x20 || c == 0x7F)) {
      out += ' ';
    } else {
      out.append(in.data() + i, len);
    }
    i += len;
  }
  if (truncated) out += "...";
  return out;
}

TEST(Utf8Test, KnownCases) {
  EXPECT_TRUE(IsValid(""));
  EXPECT_TRUE(IsValid("plain \xc2\xb5 \xf0\x9f\x98\x80"));
  EXPECT_TRUE(IsValid("\xef\xbf\xbd"));                // U+FFFD
  EXPECT_TRUE(IsValid("\xf4\x8f\xbf\xbf"));            // U+10FFFF
  EXPECT_FALSE(IsValid("\xc0\x80"));                   // overlong NUL
  EXPECT_FALSE(IsValid("\xe0\x9f\xbf"));               // overlong
  EXPECT_FALSE(IsValid("\xf0\x8f\xbf\xbf"));           // overlong
  EXPECT_FALSE(IsValid("\xed\xa0\x80"));               // surrogate
  EXPECT_FALSE(IsValid("\xf4\x90\x80\x80"));           // above U+10FFFF
  EXPECT_FALSE(IsValid("\xe2\x82"));                   // truncated
  EXPECT_FALSE(IsValid("\xff"));
  EXPECT_FALSE(IsValid("\x80"));
}

TEST(Utf8Test, AgreesWithTheReferenceOnEveryInputOfUpToThreeBytes) {
  std::string s;
  for (int n = 1; n <= 3; ++n) {
    s.assign(n, '\0');
    const uint32_t count = 1u << (8 * n);
    for (uint32_t v = 0; v < count; ++v) {
      for (int k = 0; k < n; ++k) s[k] = static_cast<char>(v >> (8 * k));
      ASSERT_EQ(IsValid(s), ReferenceIsValid(s)) << n << " bytes, value " << v;
    }
  }
}

// Long inputs take the eight-bytes-at-a-time path; a bad byte anywhere in
// or after an ASCII run must still be seen.
TEST(Utf8Test, AgreesWithTheReferenceOnRandomLongInputs) {
  std::mt19937 rng(12345);
  const std::string pieces[] = {"a", "abcdefgh", "0123456789abcdef", "\xc2\xb5",
                                "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\xa0\x80",
                                "\x80", "\xff", "\xe2", "\xf4\x90\x80\x80", "\xc1\xbf"};
  for (int round = 0; round < 200000; ++round) {
    std::string s;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) s += pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
    if (rng() % 4 == 0 && !s.empty()) s[rng() % s.size()] = static_cast<char>(rng());
    ASSERT_EQ(IsValid(s), ReferenceIsValid(s)) << round;
  }
  for (size_t at = 0; at < 40; ++at) {
    std::string s(40, 'x');
    s[at] = '\x80';
    EXPECT_FALSE(IsValid(s)) << at;
    s[at] = '\x7f';
    EXPECT_TRUE(IsValid(s)) << at;
  }
}

TEST(Utf8Test, AppendCodePointRoundTripsEveryScalarValue) {
  std::string s;
  for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    s.clear();
    AppendCodePoint(cp, &s);
    ASSERT_TRUE(ReferenceIsValid(s)) << cp;
    ASSERT_EQ(CharLength(s), s.size()) << cp;
    ASSERT_EQ(s.size(), cp < 0x80 ? 1u : cp < 0x800 ? 2u : cp < 0x10000 ? 3u : 4u);
  }
  for (uint32_t cp : {0xD800u, 0xDFFFu, 0x110000u, 0xFFFFFFFFu}) {
    s.clear();
    AppendCodePoint(cp, &s);
    EXPECT_EQ(s, "\xef\xbf\xbd") << cp;
  }
}

TEST(Utf8Test, CutLengthNeverSplitsACharacter) {
  const std::string text = "a\xc2\xb5\xe2\x82\xac\xf0\x9f\x98\x80z";  // 1+2+3+4+1
  const size_t expected[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11, 11};
  for (size_t max = 0; max <= text.size() + 1; ++max) {
    EXPECT_EQ(CutLength(text, max), expected[max]) << max;
    EXPECT_TRUE(IsValid(text.substr(0, CutLength(text, max)))) << max;
  }
  // Invalid input: cut where asked unless a whole character straddles it.
  EXPECT_EQ(CutLength("\x80\x80\x80\x80\x80", 2), 2u);
  EXPECT_EQ(CutLength("ab\xe2\x82", 3), 3u);
}

TEST(Utf8Test, SanitizeCleansAndCutsOnABoundary) {
  EXPECT_EQ(Sanitize("line\none\tx\x7f", 100), "line one x ");
  EXPECT_EQ(Sanitize("bad \xff\xc0\x80 ok \xc2\xb5", 100), "bad ??? ok \xc2\xb5");
  EXPECT_EQ(Sanitize("abc\xe2\x82\xac", 5), "abc...");  // the euro sign does not fit
  EXPECT_EQ(Sanitize("abc\xe2\x82\xac", 6), "abc\xe2\x82\xac");
  EXPECT_EQ(Sanitize("", 0), "");
  EXPECT_EQ(Sanitize("x", 0), "...");
  // Whatever goes in, what comes out is valid UTF-8 with no control bytes.
  std::mt19937 rng(7);
  for (int round = 0; round < 20000; ++round) {
    std::string in(rng() % 64, '\0');
    for (char& c : in) c = static_cast<char>(rng());
    const size_t max = rng() % 70;
    const std::string out = Sanitize(in, max);
    ASSERT_TRUE(IsValid(out));
    ASSERT_LE(out.size(), max + 3);
    for (char c : out) ASSERT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f);
  }
}

TEST(Utf8Test, SanitizeAgreesWithTheInfluxClientsSanitizeText) {
  std::mt19937 rng(99);
  const std::string pieces[] = {"a", "\n", "\x7f", "\xc2\xb5", "\xe2\x82\xac",
                                "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\x80", "\xff",
                                "\xe2", "\xf4\x90\x80\x80", "\xe0\x9f\xbf"};
  for (int round = 0; round < 100000; ++round) {
    std::string s;
    const int n = static_cast<int>(rng() % 16);
    for (int k = 0; k < n; ++k) s += pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
    const size_t max = rng() % 40;
    ASSERT_EQ(Sanitize(s, max), InfluxSanitizeText(s, max)) << round;
  }
}

}  // namespace
}  // namespace ocs_influx::utf8
