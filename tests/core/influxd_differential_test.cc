// The line parser against the real influxd 1.6 as the oracle. Every line of
// a corpus (crafted edge cases and random lines from a fixed seed) is sent
// alone twice: straight to influxd's /write into one database, and through
// the project's parser and encoder (LinesConverter) whose canonical output is
// written into a second database. Both must accept or both refuse; for lines
// both accept, what influxd stored (series, field keys and types, values,
// read with epoch=ns) must be identical. The deliberate differences of
// docs/hostile-input.md are the only exceptions, recognised by what each
// side answered, never by a list of lines.
#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/core/line_parser.h"
#include "service/core/point_encoder.h"
#include "tests/support/influxd.h"

namespace ocs_influx::core {
namespace {

using ::ocs_influx::testing::Influxd;

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct HttpAnswer {
  long code = 0;
  std::string body;
};

// POST `body` to `url`; code 0 when no answer came.
HttpAnswer Post(const std::string& url, const std::string& body) {
  HttpAnswer answer;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return answer;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer.body);
  if (curl_easy_perform(curl.get()) != CURLE_OK) return answer;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &answer.code);
  return answer;
}

std::string UrlEncode(const std::string& s) {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  char* e = curl_easy_escape(curl.get(), s.data(), static_cast<int>(s.size()));
  std::string out = e;
  curl_free(e);
  return out;
}

// The crafted edge cases: separators, escapes, quotes, backslashes, commas,
// equals signs, value types, timestamps, duplicates and empty parts.
const std::vector<std::string>& Crafted() {
  static const auto* lines = new std::vector<std::string>{
      // separators
      "m v=1 1600000000000000000",
      "m  v=1 1600000000000000000",
      "m v=1   1600000000000000000",
      "m,t=1   v=1 1600000000000000000",
      "m v=1 1600000000000000000   ",
      "m v=1 ",
      "m \tv=1 1600000000000000000",
      "m v=1 \t1600000000000000000",
      "m v=1 1600000000000000000\t",
      "m\tv=1 1600000000000000000",
      "m v=1,  w=2 1600000000000000000",
      "m v=1 1600000000000000000 7",
      // escapes in names
      "m\\ x,t\\ k=a\\ b v\\ f=1 1600000000000000000",
      "m\\,x,t\\,k=a\\,b v\\,f=1 1600000000000000000",
      "m\\=x,t\\=k=a\\=b v\\=f=1 1600000000000000000",
      "m=x v=1 1600000000000000000",
      "m\\x,t=a\\xb v\\x=1 1600000000000000000",
      "m,t=a=b v=1 1600000000000000000",
      // backslash runs
      "m\\\\ v=1 1600000000000000000",
      "m,t=a\\\\ v=1 1600000000000000000",
      "m v\\\\=1 1600000000000000000",
      "m\\\\x v=1 1600000000000000000",
      "m v=\"a\\\\\" 1600000000000000000",
      // quotes and strings
      "m v=\"a b,c=d\" 1600000000000000000",
      "m v=\"a\\\"b\" 1600000000000000000",
      "m v=\"a\\nb\" 1600000000000000000",
      "m v=\"\" 1600000000000000000",
      "m v=\"abc 1600000000000000000",
      "m\"q v=1 1600000000000000000",
      "m,t=\"x\" v=1 1600000000000000000",
      "m v\"k=1 1600000000000000000",
      // commas, equals, empty parts
      "m, v=1 1600000000000000000",
      "m,t v=1 1600000000000000000",
      "m,=1 v=1 1600000000000000000",
      "m,t= v=1 1600000000000000000",
      ",t=1 v=1 1600000000000000000",
      "m v= 1600000000000000000",
      "m =1 1600000000000000000",
      "m v=1, 1600000000000000000",
      "m v=1,,w=2 1600000000000000000",
      "m",
      "m v",
      // types
      "m v=1i,w=-2i,x=1.5,y=-1e3,z=2.,a=.5 1600000000000000000",
      // Float digits forwarded as written (in the fast grammar) or
      // formatted again (beyond it): influxd must store the same double.
      "m v=-0,w=007.50,x=1E+05,y=-.5e-3,z=123456789012345678 1600000000000000000",
      "m v=1234567890123456789012,w=1e-30,x=0.1000000000000000000000001 1600000000000000000",
      "m v=0.30000000000000004,w=1.7976931348623157e308,x=5e-324 1600000000000000000",
      "m v=t,w=T,x=true,y=True,z=TRUE,a=f,b=FALSE 1600000000000000000",
      "m v=tru 1600000000000000000",
      "m v=1u 1600000000000000000",
      "m v=9223372036854775807i 1600000000000000000",
      "m v=9223372036854775808i 1600000000000000000",
      "m v=1e400 1600000000000000000",
      "m v=1.2.3 1600000000000000000",
      "m v=NaN 1600000000000000000",
      "m v=+1 1600000000000000000",
      "m v=1.5i 1600000000000000000",
      "m v=0x10 1600000000000000000",
      // timestamps
      "m v=1 -1",
      "m v=1 +1",
      "m v=1 1.5",
      "m v=1 99999999999999999999",
      "m v=1 0",
      // duplicates
      "m,t=1,t=2 v=1 1600000000000000000",
      "m,b=1,a=2,b=3 v=1 1600000000000000000",
      "m,t=1,T=2 v=1 1600000000000000000",
      "m v=1,v=2 1600000000000000000",
      // reserved names
      "m,_field=x v=1 1600000000000000000",
      "m _measurement=1 1600000000000000000",
      "m time=1 1600000000000000000",
  };
  return *lines;
}

// Random lines from a fixed seed, built from pieces that are often, but not
// always, well formed.
std::vector<std::string> RandomLines(int count) {
  static const char* const kNames[] = {
      "m", "cpu", "t", "v", "x_y", "a\\ b", "a\\,b", "a\\=b", "a\\b", "\xc3\xa9",
      "a\"b", "a=b", "k\\\\", "", "_x", "T1"};
  static const char* const kValues[] = {
      "1", "-1.5", "1e3", "2.", ".5", "1i", "-7i", "3u", "t", "FALSE", "\"s\"",
      "\"a \\\" b\"", "\"x,y=z w\"", "abc", "1.2.3", "9223372036854775808i",
      "1e-5", "", "\"\\\\\"", "0.1"};
  static const char* const kSeparators[] = {" ", " ", " ", "  ", " \t", "\t"};
  static const char* const kTimes[] = {"1600000000000000000", "1", "-5", "abc",
                                       "1600000000000000000 ", "0"};
  std::mt19937 rng(20261130);
  auto pick = [&](auto& table) {
    constexpr size_t n = sizeof(table) / sizeof(table[0]);
    return table[std::uniform_int_distribution<size_t>(0, n - 1)(rng)];
  };
  auto chance = [&](int percent) {
    return std::uniform_int_distribution<int>(0, 99)(rng) < percent;
  };
  std::vector<std::string> lines;
  for (int i = 0; i < count; ++i) {
    std::string line = pick(kNames);
    if (line.empty() && chance(70)) line = "m";
    int tags = std::uniform_int_distribution<int>(0, 3)(rng);
    std::string first_key;
    for (int t = 0; t < tags; ++t) {
      std::string key = (t > 0 && chance(20)) ? first_key : pick(kNames);
      if (t == 0) first_key = key;
      absl::StrAppend(&line, ",", key, "=", pick(kNames));
    }
    line += pick(kSeparators);
    int fields = std::uniform_int_distribution<int>(1, 3)(rng);
    for (int f = 0; f < fields; ++f) {
      absl::StrAppend(&line, f > 0 ? "," : "", chance(85) ? pick(kNames) : "v",
                      "=", pick(kValues));
    }
    if (chance(80)) absl::StrAppend(&line, pick(kSeparators), pick(kTimes));
    lines.push_back(std::move(line));
  }
  return lines;
}

class Differential : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    auto started = Influxd::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    influxd_ = started->release();
  }
  static void TearDownTestSuite() {
    delete influxd_;
    influxd_ = nullptr;
  }

  // 204 = accepted. Anything else is a refusal (the body says why).
  HttpAnswer Write(const std::string& db, const std::string& body) {
    return Post(absl::StrCat(influxd_->url(), "/write?db=", db, "&precision=ns"), body);
  }

  // What influxd stored in `db`, as the JSON of three queries; the time of
  // the one point is masked when the line had none (each side's "now").
  std::string Stored(const std::string& db, bool mask_time) {
    std::string all;
    for (const char* q : {"SHOW SERIES", "SHOW FIELD KEYS", "SELECT * FROM /.*/"}) {
      HttpAnswer a = Post(absl::StrCat(influxd_->url(), "/query?epoch=ns&db=", db,
                                       "&q=", UrlEncode(q)),
                          "");
      absl::StrAppend(&all, a.code, " ", a.body, "\n");
    }
    if (mask_time) {
      static const std::regex kTime("\"values\":\\[\\[-?[0-9]+,");
      all = std::regex_replace(all, kTime, "\"values\":[[TIME,");
    }
    return all;
  }

  void Recreate(const std::string& db) {
    ASSERT_TRUE(influxd_->Query("", absl::StrCat("DROP DATABASE ", db)).ok());
    ASSERT_TRUE(influxd_->CreateDatabase(db).ok());
  }

  // Empty when both judge `line` alike, else what differs.
  std::string Compare(const std::string& line) {
    Recreate("direct");
    Recreate("ours");
    const HttpAnswer direct = Write("direct", line);
    const bool direct_ok = direct.code == 204;

    LinesConverter converter;
    std::string canonical;
    EncodeResult result;
    const absl::Status ours = converter.Convert(line, Precision::kNanoseconds,
                                                1600000000123456789, &canonical, &result);
    if (!direct_ok && !ours.ok()) return "";
    if (direct_ok && !ours.ok()) {
      // Deliberate: names InfluxDB 2 and 3 reserve, and backslash runs that
      // InfluxDB cannot read back.
      if (absl::StrContains(ours.message(), "\"_field\" is reserved") ||
          absl::StrContains(ours.message(), "\"_measurement\" is reserved") ||
          absl::StrContains(ours.message(), "backslash")) {
        ++deliberate_;
        return "";
      }
      return absl::StrCat("influxd accepts, ours refuses: ", ours.message());
    }
    const HttpAnswer written = Write("ours", canonical);
    if (written.code != 204) {
      return absl::StrCat("ours accepts, but influxd refuses its canonical line `",
                          canonical, "`: ", written.body);
    }
    if (!direct_ok) {
      // Deliberate: the `u` suffix (InfluxDB 1.8+ and 2.x store unsigned).
      static const std::regex kUnsigned("=-?[0-9]+u( |,|$)");
      if (std::regex_search(line, kUnsigned)) {
        ++deliberate_;
        return "";
      }
      return absl::StrCat("influxd refuses (", direct.body, "), ours accepts as `",
                          canonical, "`");
    }
    ParsedPoint point;
    absl::string_view trimmed = line;
    while (!trimmed.empty() && (trimmed[0] == ' ' || trimmed[0] == '\t')) {
      trimmed.remove_prefix(1);
    }
    const bool mask = !ParseLine(trimmed, &point).ok() || !point.has_timestamp;
    std::string want = Stored("direct", mask);
    std::string got = Stored("ours", mask);
    if (want != got) {
      return absl::StrCat("stored differently via `", canonical, "`:\n  influxd: ",
                          want, "  ours:    ", got);
    }
    ++both_accepted_;
    return "";
  }

  static Influxd* influxd_;
  int deliberate_ = 0;
  int both_accepted_ = 0;
};

Influxd* Differential::influxd_ = nullptr;

TEST_F(Differential, CraftedAndRandomLinesAreJudgedAsInfluxd16Does) {
  std::vector<std::string> lines = Crafted();
  ASSERT_GE(lines.size(), 54u);
  for (std::string& line : RandomLines(100)) lines.push_back(std::move(line));
  int differences = 0;
  for (const std::string& line : lines) {
    std::string why = Compare(line);
    if (::testing::Test::HasFatalFailure()) return;
    if (!why.empty()) {
      ++differences;
      ADD_FAILURE() << "line `" << line << "`: " << why;
    }
  }
  EXPECT_EQ(differences, 0) << "of " << lines.size() << " lines";
  // The corpus must exercise both sides: lines stored, and every deliberate
  // difference class (reserved names, backslash runs, the u suffix).
  EXPECT_GE(both_accepted_, 30);
  EXPECT_GE(deliberate_, 4);
  std::printf("%zu lines: %d stored alike, %d deliberate differences\n",
              lines.size(), both_accepted_, deliberate_);
}

}  // namespace
}  // namespace ocs_influx::core
