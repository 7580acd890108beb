// Encoder -> parser round trip over generated points whose names and
// strings hold every character line protocol escapes, and extreme numbers.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "proto/publisher.pb.h"
#include "service/core/line_parser.h"
#include "service/core/point_encoder.h"

namespace ocs_influx::core {
namespace {

using ocs::influx::v1::Point;

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  // Names that the encoder accepts: no newline, and no backslash where it
  // would be ambiguous (those are refused, tested elsewhere).
  std::string Name(bool measurement) {
    static const char kAlphabet[] = "ab ,=\"\\#_-.\xc2\xb5";
    std::string s;
    int n = 1 + Below(12);
    for (int i = 0; i < n; ++i) s += kAlphabet[Below(sizeof(kAlphabet) - 1)];
    std::string fixed;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && (i + 1 == s.size() || std::strchr(",= ", s[i + 1]))) {
        fixed += 'x';
      } else {
        fixed += s[i];
      }
    }
    if (measurement && fixed[0] == '#') fixed[0] = 'm';
    if (fixed == "time" || fixed == "_field" || fixed == "_measurement") {
      fixed += "_";
    }
    // A lone leading \xb5 half would be invalid UTF-8; keep pairs whole.
    return Utf8Safe(fixed);
  }

  std::string String() {
    static const char kAlphabet[] = "a \"\\,=\t{}";
    std::string s;
    int n = Below(4) == 0 ? 2000 : Below(10);
    for (int i = 0; i < n; ++i) s += kAlphabet[Below(sizeof(kAlphabet) - 1)];
    return s;
  }

  double Double() {
    switch (Below(6)) {
      case 0: return std::numeric_limits<double>::max();
      case 1: return -std::numeric_limits<double>::denorm_min();
      case 2: return 0.0;
      case 3: return -0.0;
      default: {
        double x;
        do {
          uint64_t bits = rng_();
          std::memcpy(&x, &bits, sizeof(x));
        } while (!std::isfinite(x));
        return x;
      }
    }
  }

  int Below(int n) { return static_cast<int>(rng_() % n); }
  uint64_t Bits() { return rng_(); }

 private:
  static std::string Utf8Safe(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      unsigned char c = s[i];
      if (c == 0xc2 && i + 1 < s.size() && (unsigned char)s[i + 1] == 0xb5) {
        out += "\xc2\xb5";
        ++i;
      } else if (c >= 0x80) {
        out += 'u';
      } else {
        out += s[i];
      }
    }
    return out;
  }

  std::mt19937_64 rng_;
};

TEST(RoundTripTest, ParsedPointEqualsEncodedPoint) {
  Generator gen(1234);
  LinesConverter converter;
  int checked = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    Point p;
    p.set_measurement(gen.Name(true));
    // Distinct keys: a line naming a tag twice, or a field twice with two
    // types, is refused as influxd refuses it.
    std::set<std::string> used;
    auto distinct_name = [&gen, &used] {
      for (;;) {
        std::string name = gen.Name(false);
        if (used.insert(name).second) return name;
      }
    };
    int ntags = gen.Below(4);
    for (int t = 0; t < ntags; ++t) {
      auto* tag = p.add_tags();
      tag->set_key(distinct_name());
      tag->set_value(gen.Name(false));
    }
    int nfields = 1 + gen.Below(6);
    for (int f = 0; f < nfields; ++f) {
      auto* field = p.add_fields();
      field->set_key(distinct_name());
      auto* v = field->mutable_value();
      switch (gen.Below(5)) {
        case 0: v->set_double_value(gen.Double()); break;
        case 1: v->set_int_value(static_cast<int64_t>(gen.Bits())); break;
        case 2: v->set_uint_value(gen.Bits() >> 1); break;
        case 3: v->set_bool_value(gen.Below(2) == 1); break;
        default: v->set_string_value(gen.String()); break;
      }
    }
    p.set_timestamp_ns(static_cast<int64_t>(gen.Bits() % 9223372036854775806ULL) *
                       (gen.Below(2) ? 1 : -1));

    std::string line;
    EncodeResult result;
    ASSERT_TRUE(EncodePoint(p, 0, 0, &line, &result).ok()) << p.DebugString();
    ASSERT_EQ(result.points, 1u);
    ASSERT_EQ(line.back(), '\n');
    ASSERT_EQ(line.find('\n'), line.size() - 1) << "newline inside: " << line;

    ParsedPoint parsed;
    absl::Status s = ParseLine(absl::string_view(line).substr(0, line.size() - 1),
                               &parsed);
    ASSERT_TRUE(s.ok()) << s << "\n" << line;
    EXPECT_EQ(parsed.measurement, p.measurement()) << line;
    ASSERT_EQ(parsed.num_tags, static_cast<size_t>(p.tags_size())) << line;
    for (int t = 0; t < p.tags_size(); ++t) {
      EXPECT_EQ(parsed.tags[t].key, p.tags(t).key()) << line;
      EXPECT_EQ(parsed.tags[t].value, p.tags(t).value()) << line;
    }
    ASSERT_EQ(parsed.num_fields, static_cast<size_t>(p.fields_size())) << line;
    for (int f = 0; f < p.fields_size(); ++f) {
      const auto& want = p.fields(f);
      const ParsedField& got = parsed.fields[f];
      EXPECT_EQ(got.key, want.key()) << line;
      switch (want.value().value_case()) {
        case ocs::influx::v1::FieldValue::kDoubleValue: {
          ASSERT_EQ(got.type, FieldType::kFloat) << line;
          double w = want.value().double_value();
          const double value = ParsedFloatValue(got);
          EXPECT_EQ(std::memcmp(&value, &w, sizeof(w)), 0) << line;
          break;
        }
        case ocs::influx::v1::FieldValue::kIntValue:
          ASSERT_EQ(got.type, FieldType::kInteger);
          EXPECT_EQ(got.int_value, want.value().int_value());
          break;
        case ocs::influx::v1::FieldValue::kUintValue:
          ASSERT_EQ(got.type, FieldType::kInteger);
          EXPECT_EQ(static_cast<uint64_t>(got.int_value), want.value().uint_value());
          break;
        case ocs::influx::v1::FieldValue::kBoolValue:
          ASSERT_EQ(got.type, FieldType::kBoolean);
          EXPECT_EQ(got.bool_value, want.value().bool_value());
          break;
        default:
          ASSERT_EQ(got.type, FieldType::kString);
          EXPECT_EQ(got.string_value, want.value().string_value()) << line;
          break;
      }
    }
    ASSERT_TRUE(parsed.has_timestamp);
    EXPECT_EQ(parsed.timestamp, p.timestamp_ns());

    // And the parser's re-encoding of our own output is byte-identical.
    std::string again;
    ASSERT_TRUE(EncodeParsedPoint(parsed, Precision::kNanoseconds, 0, &again).ok());
    EXPECT_EQ(again, line);
    ++checked;
  }
  EXPECT_EQ(checked, 3000);
}

}  // namespace
}  // namespace ocs_influx::core
