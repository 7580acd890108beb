// The number readers and writers of line protocol: the wide float reader
// gives the scalar grammar's answer whenever it gives one, and gives it for
// the common values; the timestamp reader reads what std::from_chars reads;
// the digit writers write what a digit loop and std::to_chars write.
#include "service/core/number_text.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ocs_influx::core {
namespace {

// The value at the start of a buffer of 48 bytes (the rest `fill`), so the
// wide reader, which needs 32 bytes, may read it; the end is the buffer's.
struct Buffer {
  explicit Buffer(const std::string& value, char fill = ' ') : text(48, fill) {
    text.replace(0, std::min(value.size(), text.size()), value);
  }
  const char* begin() const { return text.data(); }
  const char* end() const { return text.data() + text.size(); }
  std::string text;
};

// nullptr, or the offset of the end, for messages.
std::string Where(const char* found, const char* begin) {
  return found == nullptr ? "refused" : "end " + std::to_string(found - begin);
}

// The wide reader agrees with the scalar one wherever it answers; returns
// whether it answered.
bool WideAgrees(const std::string& value, char fill) {
  const Buffer b(value, fill);
  const char* wide = KeptFloatEndWide(b.begin(), b.end());
  if (wide == nullptr) return false;
  const char* scalar = KeptFloatEnd(b.begin(), b.end());
  EXPECT_EQ(Where(wide, b.begin()), Where(scalar, b.begin()))
      << "value \"" << value << "\" then '" << fill << "'";
  return true;
}

TEST(KeptFloatTest, TheWideReaderTakesTheCommonValuesAsTheScalarOne) {
  for (const char* v : {"-123.45678901234567", "0.5", "299.99999999999994", "-0.0", "42",
                        "0.000123", "5.", "-.5", "1234567890.12345678", "0.0000000000000000001",
                        "000000000000000000000000000001"}) {
    for (char fill : {',', ' '}) {
      EXPECT_TRUE(WideAgrees(v, fill)) << v;
      const Buffer b(v, fill);
      EXPECT_EQ(KeptFloatEndWide(b.begin(), b.end()), b.begin() + std::string(v).size()) << v;
    }
  }
}

TEST(KeptFloatTest, TheWideReaderLeavesTheRestToTheScalarOne) {
  struct Case {
    const char* value;
    bool scalar_takes;  // KeptFloatEnd's answer, so each case is what it says
  };
  const Case cases[] = {
      {"1e5", true},                      // an exponent: the scalar reader's
      {"1.5E-3", true},
      {"1234567890123456789", false},     // 19 significant digits
      {"0.00000000000000000001", false},  // a fraction of 20 digits
      {"0.000000000000000000001", false},
      {"1.2.3", false},
      {"--5", false},
      {"5-3", false},
      {"-", false},
      {".", false},
      {"-.", false},
      {"", false},
      {"1x", false},
      {"\"1\"", false},
      {"1\t", false},
      {"true", false},
      {"12i", false},
      {"123456789012345678901234567890123", false},  // no stop in 32 bytes
  };
  for (const Case& c : cases) {
    const Buffer b(c.value);
    EXPECT_EQ(KeptFloatEndWide(b.begin(), b.end()), nullptr) << c.value;
    EXPECT_EQ(KeptFloatEnd(b.begin(), b.end()) != nullptr, c.scalar_takes) << c.value;
  }
  // Fewer than 32 bytes left: not read at all.
  const std::string short_line = "1.5";
  EXPECT_EQ(KeptFloatEndWide(short_line.data(), short_line.data() + short_line.size()), nullptr);
}

TEST(KeptFloatTest, RandomValuesGetTheSameAnswerFromBothReaders) {
  std::mt19937_64 rng(20261202);
  // Values as Python's repr prints doubles of every magnitude.
  std::uniform_real_distribution<double> unit(-1, 1);
  std::uniform_int_distribution<int> magnitude(-25, 25);
  int wide_answers = 0;
  for (int i = 0; i < 200000; ++i) {
    char text[64];
    const double d = unit(rng) * std::pow(10.0, magnitude(rng));
    if (i % 2 == 0) {
      std::snprintf(text, sizeof text, "%.*g", i % 18 + 1, d);
    } else {
      std::snprintf(text, sizeof text, "%.*f", i % 7 + 1, d);
    }
    wide_answers += WideAgrees(text, i % 3 == 0 ? ',' : ' ');
  }
  EXPECT_GT(wide_answers, 100000);
  // Strings of the bytes that matter, of every length up to 34.
  const std::string alphabet = "0000123456789..--eE+, x";
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> length(0, 34);
  wide_answers = 0;
  for (int i = 0; i < 2000000; ++i) {
    std::string v(static_cast<size_t>(length(rng)), ' ');
    for (char& c : v) c = alphabet[pick(rng)];
    wide_answers += WideAgrees(v, i % 2 == 0 ? ',' : 'x');
  }
  EXPECT_GT(wide_answers, 1000);
}

TEST(KeptFloatTest, TheDigitLimitsAreTheScalarReadersOnBothSides) {
  // 18 and 19 significant digits, with the point and leading zeros in and
  // out of the run; fractions of 19 and 20 digits.
  for (const char* v :
       {"123456789012345678", "1234567890123456789", "12345678.9012345678", "12345678.90123456789",
        "0.123456789012345678", "0.1234567890123456789", "000.123456789012345678",
        "-0.0000000000000000001", "-0.00000000000000000001", "0.1000000000000000000",
        "10000000000000000000", "100000000000000000.0"}) {
    const Buffer b(v);
    const char* wide = KeptFloatEndWide(b.begin(), b.end());
    const char* scalar = KeptFloatEnd(b.begin(), b.end());
    EXPECT_EQ(Where(wide, b.begin()), Where(scalar, b.begin())) << v;
  }
}

std::string FromChars(const std::string& text) {
  int64_t v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return "refused";
  return std::to_string(v);
}

std::string Plain(const std::string& text) {
  int64_t v = -1;
  if (!PlainTimestamp(text.data(), text.data() + text.size(), &v)) return "refused";
  return std::to_string(v);
}

TEST(PlainTimestampTest, ReadsWhatFromCharsReads) {
  for (const char* t : {"0", "7", "12345678", "123456789", "1700000000000000000",
                        "0000000000000000001", "9223372036854775807"}) {
    EXPECT_EQ(Plain(t), FromChars(t)) << t;
    EXPECT_NE(Plain(t), "refused") << t;
  }
  // Left to from_chars: a sign, an overflow, more than 19 digits, a byte
  // that is not a digit, nothing.
  for (const char* t : {"-1", "+1", "9223372036854775808", "9999999999999999999",
                        "00000000000000000001", "12345678a", "1234 ", "", "1.5"}) {
    EXPECT_EQ(Plain(t), "refused") << t;
  }
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> length(1, 19);
  for (int i = 0; i < 1000000; ++i) {
    std::string t(static_cast<size_t>(length(rng)), '0');
    for (char& c : t) c = static_cast<char>('0' + rng() % 10);
    if (i % 50 == 0) t[rng() % t.size()] = static_cast<char>(rng() % 256);
    const std::string plain = Plain(t);
    if (plain != "refused") {
      ASSERT_EQ(plain, FromChars(t)) << t;
    } else if (FromChars(t) != "refused" && t[0] != '-' && t[0] != '+') {
      ADD_FAILURE() << "digits refused: " << t;
    }
  }
}

TEST(WriteDigitsTest, EightDigitsAreTheNumbersDigits) {
  // Every 7th value below 10^8 and the ends, against a plain digit loop.
  for (uint32_t v = 0; v < 100000000; v = v < 99999993 ? v + 7 : v + 1) {
    char got[8];
    WriteEightDigits(v, got);
    char want[8];
    uint32_t rest = v;
    for (int i = 7; i >= 0; --i, rest /= 10) want[i] = static_cast<char>('0' + rest % 10);
    ASSERT_EQ(std::string(got, 8), std::string(want, 8)) << v;
  }
}

TEST(WriteDigitsTest, NineteenDigitTimestampsAreToCharsText) {
  std::mt19937_64 rng(19);
  std::uniform_int_distribution<int64_t> any(1000000000000000000, std::numeric_limits<int64_t>::max());
  std::vector<int64_t> values = {1000000000000000000, 1000000000000000001, 1700000000000000000,
                                 1999999999999999999, 9000000000000000000,
                                 std::numeric_limits<int64_t>::max()};
  for (int i = 0; i < 1000000; ++i) values.push_back(any(rng));
  for (const int64_t ns : values) {
    char got[20];
    char want[24];
    const char* end = WriteNineteenDigitTimestamp(ns, got);
    ASSERT_NE(end, nullptr) << ns;
    const auto r = std::to_chars(want, want + sizeof want, ns);
    ASSERT_EQ(std::string(got, static_cast<size_t>(end - got)),
              std::string(want, static_cast<size_t>(r.ptr - want)))
        << ns;
  }
  // Shorter or negative: left to std::to_chars.
  for (const int64_t ns : {int64_t{999999999999999999}, int64_t{0}, int64_t{-1},
                           int64_t{-1000000000000000000}, std::numeric_limits<int64_t>::min()}) {
    char got[20];
    EXPECT_EQ(WriteNineteenDigitTimestamp(ns, got), nullptr) << ns;
  }
}

}  // namespace
}  // namespace ocs_influx::core
