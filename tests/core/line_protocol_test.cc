#include <charconv>
#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/publisher.pb.h"
#include "service/core/float_format.h"
#include "service/core/line_builder.h"
#include "service/core/line_parser.h"
#include "service/core/point_encoder.h"

namespace ocs_influx::core {
namespace {

using ::testing::HasSubstr;
using ocs::influx::v1::Point;
using ocs::influx::v1::WriteRequest;

Point MakePoint(const std::string& measurement) {
  Point p;
  p.set_measurement(measurement);
  p.set_timestamp_ns(1000);
  return p;
}

void AddDouble(Point* p, const std::string& key, double v) {
  auto* f = p->add_fields();
  f->set_key(key);
  f->mutable_value()->set_double_value(v);
}

absl::StatusOr<std::string> Encode(const Point& p, EncodeResult* result = nullptr) {
  std::string out;
  EncodeResult local;
  absl::Status s = EncodePoint(p, 7, 0, &out, result ? result : &local);
  if (!s.ok()) return s;
  return out;
}

TEST(EscapeTest, EscapesEachPositionAsTheSpecSays) {
  Point p = MakePoint("cpu load,x=y");
  auto* tag = p.add_tags();
  tag->set_key("host name,a=b");
  tag->set_value("web 1,=");
  auto* f = p.add_fields();
  f->set_key("val ue,=");
  f->mutable_value()->set_string_value("say \"hi\" \\ there");
  EXPECT_EQ(*Encode(p),
            "cpu\\ load\\,x=y,host\\ name\\,a\\=b=web\\ 1\\,\\= "
            "val\\ ue\\,\\==\"say \\\"hi\\\" \\ there\" 1000\n");
}

TEST(EscapeTest, TypesAndSuffixes) {
  Point p = MakePoint("m");
  auto add = [&](const char* key) {
    auto* f = p.add_fields();
    f->set_key(key);
    return f->mutable_value();
  };
  add("d")->set_double_value(2.5);
  add("w")->set_double_value(3.0);
  add("i")->set_int_value(-42);
  add("u")->set_uint_value(42);
  add("b")->set_bool_value(true);
  add("c")->set_bool_value(false);
  add("s")->set_string_value("");
  EXPECT_EQ(*Encode(p), "m d=2.5,w=3.0,i=-42i,u=42i,b=True,c=False,s=\"\" 1000\n");
}

TEST(EscapeTest, BackslashesAreDoubledOnlyWhereInfluxUnescapes) {
  Point p = MakePoint("m");
  auto* f = p.add_fields();
  f->set_key("s");
  f->mutable_value()->set_string_value("C:\\dir\\\"x\\");
  EXPECT_EQ(*Encode(p), "m s=\"C:\\dir\\\\\\\"x\\\\\" 1000\n");
}

TEST(EscapeTest, NoNewlineEverEntersALine) {
  Point p = MakePoint("m");
  auto* f = p.add_fields();
  f->set_key("s");
  f->mutable_value()->set_string_value("two\nlines\r");
  EXPECT_EQ(*Encode(p), "m s=\"two\\nlines\\r\" 1000\n");
  for (const char* bad : {"a\nb", "a\rb"}) {
    Point q = MakePoint(bad);
    AddDouble(&q, "x", 1);
    EXPECT_THAT(Encode(q).status().message(), HasSubstr("newline"));
    Point r = MakePoint("m");
    AddDouble(&r, bad, 1);
    EXPECT_FALSE(Encode(r).ok());
  }
}

TEST(RulesTest, RefusesWhatInfluxRefuses) {
  struct Case {
    const char* name;
    Point point;
    const char* reason;
  };
  std::vector<Case> cases;
  {
    Point p = MakePoint("m");
    AddDouble(&p, "time", 1);
    cases.push_back({"field key time", p, "reserved"});
  }
  {
    Point p = MakePoint("m");
    AddDouble(&p, "_field", 1);
    cases.push_back({"field key _field", p, "reserved"});
  }
  {
    Point p = MakePoint("m");
    auto* t = p.add_tags();
    t->set_key("_measurement");
    t->set_value("x");
    AddDouble(&p, "v", 1);
    cases.push_back({"tag key _measurement", p, "reserved"});
  }
  {
    Point p = MakePoint("");
    AddDouble(&p, "v", 1);
    cases.push_back({"empty measurement", p, "empty"});
  }
  {
    Point p = MakePoint("m");
    auto* t = p.add_tags();
    t->set_value("x");
    AddDouble(&p, "v", 1);
    cases.push_back({"empty tag key", p, "empty"});
  }
  {
    Point p = MakePoint("m");
    AddDouble(&p, "", 1);
    cases.push_back({"empty field key", p, "empty"});
  }
  {
    Point p = MakePoint("m");
    cases.push_back({"no fields", p, "at least one field"});
  }
  {
    Point p = MakePoint("m");
    auto* f = p.add_fields();
    f->set_key("s");
    f->mutable_value()->set_string_value(std::string(64 * 1024 + 1, 'x'));
    cases.push_back({"huge string", p, "over the limit"});
  }
  {
    Point p = MakePoint("m");
    AddDouble(&p, "v", 1);
    p.set_timestamp_ns(INT64_MAX);
    cases.push_back({"time too late", p, "range"});
  }
  {
    Point p = MakePoint("m");
    AddDouble(&p, "v", 1);
    p.set_timestamp_ns(INT64_MIN);
    cases.push_back({"time too early", p, "range"});
  }
  {
    Point p = MakePoint("m");
    auto* f = p.add_fields();
    f->set_key("u");
    f->mutable_value()->set_uint_value(uint64_t{1} << 63);
    cases.push_back({"uint beyond int64", p, "does not fit"});
  }
  {
    Point p = MakePoint("#comment");
    AddDouble(&p, "v", 1);
    cases.push_back({"measurement starting with #", p, "comment"});
  }
  {
    Point p = MakePoint("m");
    auto* t = p.add_tags();
    t->set_key("k");
    t->set_value("ends in \\");
    AddDouble(&p, "v", 1);
    cases.push_back({"tag value ending in backslash", p, "backslash"});
  }
  {
    Point p = MakePoint("time");
    AddDouble(&p, "v", 1);
    cases.push_back({"measurement time", p, "reserved"});
  }
  for (const Case& c : cases) {
    auto encoded = Encode(c.point);
    ASSERT_FALSE(encoded.ok()) << c.name << ": " << *encoded;
    EXPECT_EQ(encoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(encoded.status().message(), HasSubstr(c.reason)) << c.name;
  }
}

TEST(RulesTest, DropsAndCountsInsteadOfFailing) {
  Point p = MakePoint("m");
  auto* t = p.add_tags();
  t->set_key("empty");
  AddDouble(&p, "nan", std::nan(""));
  AddDouble(&p, "inf", -INFINITY);
  p.add_fields()->set_key("null");
  AddDouble(&p, "ok", 1.5);
  EncodeResult result;
  EXPECT_EQ(*Encode(p, &result), "m ok=1.5 1000\n");
  EXPECT_EQ(result.dropped.Get(DropReason::kNonFiniteFloat), 2u);
  EXPECT_EQ(result.dropped.Get(DropReason::kNullValue), 1u);
  EXPECT_EQ(result.dropped.Get(DropReason::kEmptyTagValue), 1u);
  EXPECT_EQ(result.points, 1u);

  Point all_nan = MakePoint("m");
  AddDouble(&all_nan, "a", NAN);
  EncodeResult r2;
  EXPECT_EQ(*Encode(all_nan, &r2), "");
  EXPECT_EQ(r2.points, 0u);
  EXPECT_EQ(r2.dropped.Get(DropReason::kNoFieldsLeft), 1u);
}

TEST(RulesTest, OneBadPointFailsTheWholeRequestAndNamesIt) {
  WriteRequest request;
  Point good = MakePoint("m");
  AddDouble(&good, "v", 1);
  *request.add_points() = good;
  Point bad = MakePoint("m");
  AddDouble(&bad, "time", 1);
  *request.add_points() = bad;
  std::string out = "kept";
  EncodeResult result;
  absl::Status s = EncodeWriteRequest(request, 0, &out, &result);
  EXPECT_THAT(s.message(), HasSubstr("point 1"));
  EXPECT_THAT(s.message(), HasSubstr("field \"time\""));
  EXPECT_EQ(out, "kept");
  EXPECT_EQ(result.points, 0u);
}

TEST(RulesTest, MissingTimestampTakesAcceptanceTime) {
  Point p;
  p.set_measurement("m");
  AddDouble(&p, "v", 1);
  EXPECT_EQ(*Encode(p), "m v=1.0 7\n");
}

TEST(TimestampTest, TruncatesLikePython) {
  int64_t ns;
  ASSERT_TRUE(SecondsToNanoseconds(1615389657.2904894, &ns));
  EXPECT_EQ(ns, 1615389657290489344);
  ASSERT_TRUE(SecondsToNanoseconds(1615394417.3590388, &ns));
  EXPECT_EQ(ns, 1615394417359038720);
  ASSERT_TRUE(SecondsToNanoseconds(-1.5e-9, &ns));
  EXPECT_EQ(ns, -1);  // toward zero, as int()
  EXPECT_FALSE(SecondsToNanoseconds(NAN, &ns));
  EXPECT_FALSE(SecondsToNanoseconds(INFINITY, &ns));
  EXPECT_FALSE(SecondsToNanoseconds(9.3e9, &ns));
  EXPECT_FALSE(SecondsToNanoseconds(-9.3e9, &ns));
}

struct ParseCase {
  const char* line;
  const char* canonical;  // nullptr: must fail
  const char* reason;
};

TEST(ParserTest, AcceptsAndCanonicalises) {
  const ParseCase cases[] = {
      {"m v=1", "m v=1 5\n", nullptr},
      {"m,t=a v=1i,w=2u,x=t,y=FALSE,z=\"s\" 10",
       "m,t=a v=1i,w=2i,x=True,y=False,z=\"s\" 10\n", nullptr},
      {"a\\ b,t\\=k=v\\,w f\\ x=-1.5e3 3", "a\\ b,t\\=k=v\\,w f\\ x=-1.5e3 3\n",
       nullptr},
      {"m s=\"q\\\"b\\\\\" 1", "m s=\"q\\\"b\\\\\" 1\n", nullptr},
      {"m,t=a\\\\b v=1 1", "m,t=a\\\\b v=1 1\n", nullptr},
      // Float digits go as written when influxd reads the same double from
      // them; beyond 18 digits or a small exponent, the shortest form.
      {"m v=.5,w=5.,x=-0,y=007.50,z=1E+05 1", "m v=.5,w=5.,x=-0,y=007.50,z=1E+05 1\n", nullptr},
      {"m v=1234567890123456789012,w=1e-30,x=0.1000000000000000000000001 1",
       "m v=1.2345678901234568e+21,w=1e-30,x=0.1 1\n", nullptr},
      {"m,t= v=1", nullptr, "missing tag value"},
      {"m", nullptr, "missing fields"},
      {"m v=", nullptr, "missing field value"},
      {"m v=1 x", nullptr, "invalid timestamp"},
      {"m v=1 1 2", nullptr, "invalid timestamp"},
      {"m v=\"open", nullptr, "unterminated"},
      {"m v=+1", nullptr, "invalid field value"},
      {"m v=nan", nullptr, "invalid field value"},
      {"m v=1e999", nullptr, "out of range"},
      {"m v=99999999999999999999i", nullptr, "out of range"},
      {"m v=-1u", nullptr, "invalid integer"},
      {"m v=18446744073709551615u", nullptr, "does not fit"},
      {"m time=1", nullptr, "reserved"},
      {",t=a v=1", nullptr, "missing measurement"},
      {"m,=a v=1", nullptr, "missing tag key"},
      {"m =1", nullptr, "missing field key"},
      {"m v=1,", nullptr, "missing field key"},
      // As influxd 1.6 reads them (tests/core/influxd_differential_test).
      {"m  v=1 7", "m v=1 7\n", nullptr},
      {"m,t=a   v=1 7", "m,t=a v=1 7\n", nullptr},
      {"m v=1   7", "m v=1 7\n", nullptr},
      {"m v=1 \t7  ", "m v=1 7\n", nullptr},
      {"m v=1 ", "m v=1 5\n", nullptr},
      {"m v=1,v=2 7", "m v=1,v=2 7\n", nullptr},
      {"m v=1 7\t", nullptr, "invalid timestamp"},
      {"m,t=1,t=2 v=1", nullptr, "duplicate tags"},
      {"m,b=1,a=2,b=3 v=1", nullptr, "duplicate tags"},
      {"m,t=a=b v=1", nullptr, "invalid tag format"},
      {"m v=1,v=t", nullptr, "appears twice with different types"},
  };
  for (const ParseCase& c : cases) {
    LinesConverter converter;
    std::string out;
    EncodeResult result;
    absl::Status s = converter.Convert(c.line, Precision::kNanoseconds, 5, &out,
                                       &result);
    if (c.canonical != nullptr) {
      ASSERT_TRUE(s.ok()) << c.line << ": " << s;
      EXPECT_EQ(out, c.canonical) << c.line;
    } else {
      ASSERT_FALSE(s.ok()) << c.line << " -> " << out;
      EXPECT_THAT(s.message(), HasSubstr(c.reason)) << c.line;
      EXPECT_THAT(s.message(), HasSubstr("line 1")) << c.line;
      EXPECT_EQ(out, "");
    }
  }
}

// The duplicate checks stay near-linear on a line of many names (sorted
// beyond a few): 10,000 distinct tags pass, one repeated at the end fails.
TEST(ParserTest, DuplicateChecksOnManyNames) {
  std::string tags;
  for (int i = 0; i < 10000; ++i) tags += ",t" + std::to_string(i) + "=v";
  std::string fields;
  for (int i = 0; i < 10000; ++i) {
    fields += (i == 0 ? " f" : ",f") + std::to_string(i) + "=1";
  }
  ParsedPoint point;
  EXPECT_TRUE(ParseLine("m" + tags + fields, &point).ok());
  EXPECT_THAT(ParseLine("m" + tags + ",t77=w" + fields, &point).message(),
              HasSubstr("duplicate tags"));
  EXPECT_THAT(ParseLine("m" + tags + fields + ",f9=1i", &point).message(),
              HasSubstr("\"f9\" appears twice"));
  EXPECT_TRUE(ParseLine("m" + tags + fields + ",f9=2", &point).ok());
}

// Every float std::from_chars reads whole is a float to the parser, of the
// double std::from_chars gives (correctly rounded), whether FastFloat
// forwards its text or the general path reads it: repr of random doubles (what
// the publisher sees), random digit strings of 1 to 20 digits with a point
// anywhere and exponents around the fast path's bounds, and zeros.
TEST(ParserTest, FloatsReadAsFromCharsReadsThem) {
  std::mt19937_64 rng(20261130);
  ParsedPoint point;
  int checked = 0;
  auto check = [&](const std::string& text) {
    double want;
    auto r = std::from_chars(text.data(), text.data() + text.size(), want);
    const bool valid = r.ec == std::errc() && r.ptr == text.data() + text.size();
    // The point's views need their line alive.
    const std::string line = "m v=" + text + " 1";
    absl::Status s = ParseLine(line, &point);
    if (!valid) return;  // out of range: refused by the general path, as before
    ++checked;
    ASSERT_TRUE(s.ok()) << text << ": " << s;
    ASSERT_EQ(point.fields[0].type, FieldType::kFloat) << text;
    double got = ParsedFloatValue(point.fields[0]);
    ASSERT_EQ(std::memcmp(&got, &want, sizeof(want)), 0)
        << text << " read as " << got << ", want " << want;
    // Followed by eight bytes and more: the digits before the end of a run
    // are read as a block too.
    const std::string longer = "m v=" + text + ",w=1 1600000000";
    s = ParseLine(longer, &point);
    ASSERT_TRUE(s.ok()) << text << ": " << s;
    got = ParsedFloatValue(point.fields[0]);
    ASSERT_EQ(std::memcmp(&got, &want, sizeof(want)), 0)
        << text << " (then more) read as " << got << ", want " << want;
  };
  char buffer[64];
  for (int i = 0; i < 1000000; ++i) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof(v));
    if (i % 2) v = std::ldexp(static_cast<double>(rng() >> 11), -53) * 1000.0 - 500.0;
    if (!std::isfinite(v)) continue;
    std::string repr;
    AppendDouble(v, &repr);
    check(repr);
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (int i = 0; i < 1000000; ++i) {
    int n = 1 + static_cast<int>(rng() % 20);
    std::string text = (rng() % 2) ? "-" : "";
    for (int d = 0; d < n; ++d) text += static_cast<char>('0' + rng() % 10);
    if (rng() % 2) text.insert(text.size() - rng() % n, ".");
    if (rng() % 2) {
      std::snprintf(buffer, sizeof(buffer), "e%d", static_cast<int>(rng() % 80) - 40);
      text += buffer;
    }
    check(text);
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (const char* text : {"0", "-0", "0.0", "-0.0", "0e5", ".5", "5.", "-.5",
                           "1E5", "1e+5", "9007199254740993", "0.1", "1e-27",
                           "1e27", "123456789012345678", "4.35", "-273.15"}) {
    check(text);
  }
  EXPECT_GT(checked, 1900000);
}

// EncodeWriteRequest copies a key equal to the previous point's at the same
// position when that one was written as is; escapes and checks still apply
// to every key that differs, or that needed an escape.
TEST(RulesTest, RepeatedKeysAcrossPointsKeepTheirEscapesAndChecks) {
  WriteRequest request;
  for (const char* third : {"x", "y=z", "y=z", "time"}) {
    Point* p = request.add_points();
    p->set_measurement("m");
    p->set_timestamp_ns(1);
    AddDouble(p, "v", 1);
    AddDouble(p, "a b", 2);
    AddDouble(p, third, 3);
  }
  std::string out;
  EncodeResult result;
  absl::Status s = EncodeWriteRequest(request, 0, &out, &result);
  EXPECT_THAT(s.message(), HasSubstr("point 3"));
  EXPECT_THAT(s.message(), HasSubstr("\"time\" is reserved"));
  request.mutable_points()->RemoveLast();
  out.clear();
  ASSERT_TRUE(EncodeWriteRequest(request, 0, &out, &result).ok());
  EXPECT_EQ(out,
            "m v=1.0,a\\ b=2.0,x=3.0 1\n"
            "m v=1.0,a\\ b=2.0,y\\=z=3.0 1\n"
            "m v=1.0,a\\ b=2.0,y\\=z=3.0 1\n");
}

// LinesConverter copies a field key equal to one an earlier line (of this
// or an earlier request) wrote as is; escapes and checks still apply to
// every other key.
TEST(ParserTest, RepeatedKeysAcrossLinesKeepTheirEscapesAndChecks) {
  LinesConverter converter;
  std::string out;
  EncodeResult result;
  ASSERT_TRUE(converter.Convert("m v=1,a\\ b=2,x=3 1\nm v=1,a\\ b=2,y\\=z=3 1\n"
                                "m v=1,a\\ b=2,y\\=z=3 1\nm v=1,a\\ b=2,x=3 1",
                                Precision::kNanoseconds, 0, &out, &result)
                  .ok());
  EXPECT_EQ(out,
            "m v=1,a\\ b=2,x=3 1\n"
            "m v=1,a\\ b=2,y\\=z=3 1\n"
            "m v=1,a\\ b=2,y\\=z=3 1\n"
            "m v=1,a\\ b=2,x=3 1\n");
  out.clear();
  absl::Status s = converter.Convert("m v=1,a\\ b=2,time=3 1",
                                     Precision::kNanoseconds, 0, &out, &result);
  EXPECT_THAT(s.message(), HasSubstr("\"time\" is reserved"));
  EXPECT_EQ(out, "");
}

// A line of only known keys skips the duplicate check when the known keys
// differ from each other. A line that repeats a key (allowed with one
// type) makes the memo's keys repeat too: the next line with those keys
// and two types must still be refused. Lines that a memo key prefixes, or
// that escape a byte after it, are scanned as on their own.
TEST(ParserTest, KnownKeysStillMeetTheDuplicateCheck) {
  LinesConverter converter;
  std::string out;
  EncodeResult result;
  absl::Status s = converter.Convert("m a=1,b=2 1\nm a=1,a=2 2\nm a=1,a=\"s\" 3\n",
                                     Precision::kNanoseconds, 0, &out, &result);
  EXPECT_THAT(s.message(), HasSubstr("line 3"));
  EXPECT_THAT(s.message(), HasSubstr("appears twice with different types"));
  EXPECT_EQ(out, "");
  s = converter.Convert("m a=1,b=2 1\nm b=1,a=2 2\nm a=1,b=2 3\nm a=1,a=\"s\" 4\n",
                        Precision::kNanoseconds, 0, &out, &result);
  EXPECT_THAT(s.message(), HasSubstr("line 4"));
  ASSERT_TRUE(converter.Convert("m ab=1,b=2 1\nm a=1,b=2 2\nm ab\\ c=1,b\\,=2 3\n",
                                Precision::kNanoseconds, 0, &out, &result)
                  .ok());
  EXPECT_EQ(out, "m ab=1,b=2 1\nm a=1,b=2 2\nm ab\\ c=1,b\\,=2 3\n");
}

// A line whose keys are known and whose values are floats as written is
// copied, not re-encoded; its timestamp too when it is written as
// to_chars writes it. Anything else in the same keys is still rewritten.
TEST(ParserTest, KnownLinesAreCopiedOnlyWhereTheCopyIsCanonical) {
  LinesConverter converter;
  std::string out;
  EncodeResult result;
  ASSERT_TRUE(converter.Convert("m a=1.5,b=2.5 1\nm a=1.5,b=2.5 0010\nm a=1.5,b=2.5 -0\n"
                                "m a=1.5,b=2.5 0\nm  a=1.5,b=2.5   -12  \nm a=t,b=2.5 1\n"
                                "m a=1.5,b=2i 2\nm a=1.50,b=\"x\" 3\nm a=1.5,b=2.5\n",
                                Precision::kNanoseconds, 7, &out, &result)
                  .ok());
  EXPECT_EQ(out,
            "m a=1.5,b=2.5 1\nm a=1.5,b=2.5 10\nm a=1.5,b=2.5 0\n"
            "m a=1.5,b=2.5 0\nm a=1.5,b=2.5 -12\nm a=True,b=2.5 1\n"
            "m a=1.5,b=2i 2\nm a=1.50,b=\"x\" 3\nm a=1.5,b=2.5 7\n");
  out.clear();
  ASSERT_TRUE(converter.Convert("m a=1.5,b=2.5 12\n", Precision::kMicroseconds, 7, &out,
                                &result)
                  .ok());
  EXPECT_EQ(out, "m a=1.5,b=2.5 12000\n");
}

// A line that begins with the series key an earlier line wrote as it stood,
// and a space, copies it; one that only begins with its bytes is parsed
// and checked on its own.
TEST(ParserTest, KnownSeriesIsCopiedOnlyWhenTheLineHasExactlyIt) {
  LinesConverter converter;
  std::string out;
  EncodeResult result;
  ASSERT_TRUE(converter.Convert("m\\,x,t=a v=1 1\nm\\,x,t=a  v=2 2\nm\\,x,t=ab v=3 3\n"
                                "m\\,x,t=a\\ b v=4 4\nm\\,x,t=a v=5 5\n",
                                Precision::kNanoseconds, 0, &out, &result)
                  .ok());
  EXPECT_EQ(out,
            "m\\,x,t=a v=1 1\nm\\,x,t=a v=2 2\nm\\,x,t=ab v=3 3\n"
            "m\\,x,t=a\\ b v=4 4\nm\\,x,t=a v=5 5\n");
  out.clear();
  absl::Status s = converter.Convert("m\\,x,t=a v=1 1\nm\\,x,t=a,t=b v=1 2\n",
                                     Precision::kNanoseconds, 0, &out, &result);
  EXPECT_THAT(s.message(), HasSubstr("line 2"));
  EXPECT_THAT(s.message(), HasSubstr("duplicate tags"));
  s = converter.Convert("m\\,x,t=a v=1 1\nm\\,x,t=a,_field=b v=1 2\n",
                        Precision::kNanoseconds, 0, &out, &result);
  EXPECT_THAT(s.message(), HasSubstr("line 2"));
  EXPECT_EQ(out, "");
  // Read as "m=x" and written so: not as it stood, so not copied.
  ASSERT_TRUE(converter.Convert("m\\=x v=1 1\nm\\=x v=2 2\n", Precision::kNanoseconds, 0,
                                &out, &result)
                  .ok());
  EXPECT_EQ(out, "m=x v=1 1\nm=x v=2 2\n");
}

TEST(ParserTest, NamesLineAndColumnAndKeepsNothingOnError) {
  LinesConverter converter;
  std::string out;
  EncodeResult result;
  absl::Status s = converter.Convert("# comment\nm v=1 1\n\nm v=oops 2\n",
                                     Precision::kNanoseconds, 0, &out, &result);
  EXPECT_THAT(s.message(), HasSubstr("line 4, column 5"));
  EXPECT_EQ(out, "");
  EXPECT_EQ(result.points, 0u);
}

TEST(ParserTest, PrecisionScalesAndOverflowIsRefused) {
  LinesConverter converter;
  std::string out;
  EncodeResult result;
  ASSERT_TRUE(converter.Convert("m v=1 3\r\n", Precision::kSeconds, 0, &out,
                                &result).ok());
  EXPECT_EQ(out, "m v=1 3000000000\n");
  out.clear();
  ASSERT_TRUE(converter.Convert("m v=1 3", Precision::kMilliseconds, 0, &out,
                                &result).ok());
  EXPECT_EQ(out, "m v=1 3000000\n");
  out.clear();
  EXPECT_FALSE(converter.Convert("m v=1 9300000000", Precision::kSeconds, 0,
                                 &out, &result).ok());
}

}  // namespace
}  // namespace ocs_influx::core
