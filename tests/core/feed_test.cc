#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/publisher.pb.h"
#include "service/core/feed_convert.h"
#include "service/core/json.h"
#include "service/core/publication.h"

namespace ocs_influx::core {
namespace {

using ::testing::HasSubstr;
using ocs::influx::v1::OcsFeed;

std::string Convert(const std::string& json, EncodeResult* result,
                    absl::Status* status = nullptr) {
  OcsFeed feed;
  absl::Status s = PublicationJsonToFeed(json, &feed);
  std::string out;
  if (s.ok()) {
    FeedConverter converter;
    s = converter.Convert(feed, &out, result);
  }
  if (status != nullptr) {
    *status = s;
  } else {
    EXPECT_TRUE(s.ok()) << s;
  }
  return out;
}

const char kFeed[] =
    R"({"agent_address": "test_address", "feed_name": "test_feed",
        "record": true, "agg_params": {}, "session_id": "1", "agent_class": "X",
        "address": "test_address.feeds.test_feed"})";

std::string Publication(const std::string& message, const char* feed = kFeed) {
  return "[" + message + ", " + feed + "]";
}

TEST(FeedTest, SpecExampleIsByteIdentical) {
  EncodeResult r;
  EXPECT_EQ(Convert(Publication(R"({"test": {"block_name": "test",
      "timestamps": [1615394417.3590388],
      "data": {"key1": [1], "key2": [2.3], "key3": ["test"]}}})"), &r),
            "test_address,feed=test_feed key1=1i,key2=2.3,key3=\"test\" "
            "1615394417359038720\n");
  EXPECT_EQ(r.points, 1u);
}

TEST(FeedTest, GeneratedVectorsMatchThePythonAgentByteForByte) {
  // testdata/make_ocs_vectors.py formats exactly as the Python agent does.
  std::ifstream in("tests/core/testdata/ocs_vectors.jsonl");
  std::ifstream want_in("tests/core/testdata/ocs_vectors.expected");
  ASSERT_TRUE(in && want_in);
  std::stringstream want;
  want << want_in.rdbuf();
  std::string got;
  std::string line;
  FeedConverter converter;
  int publications = 0;
  EncodeResult r;
  while (std::getline(in, line)) {
    OcsFeed feed;
    ASSERT_TRUE(PublicationJsonToFeed(line, &feed).ok());
    ASSERT_TRUE(converter.Convert(feed, &got, &r).ok());
    ++publications;
  }
  EXPECT_EQ(publications, 200);
  EXPECT_GT(r.points, 1000u);
  EXPECT_EQ(r.dropped.Total(), 0u);
  EXPECT_EQ(got, want.str());
}

TEST(FeedTest, BoolsAreTrueFalseAsPythonWritesThem) {
  EncodeResult r;
  EXPECT_EQ(Convert(Publication(R"({"b": {"block_name": "b",
      "timestamps": [1.0, 2.0], "data": {"on": [true, false]}}})"), &r),
            "test_address,feed=test_feed on=True 1000000000\n"
            "test_address,feed=test_feed on=False 2000000000\n");
}

TEST(FeedTest, MixedColumnsKeepEachValuesType) {
  EncodeResult r;
  EXPECT_EQ(Convert(Publication(R"({"b": {"block_name": "b",
      "timestamps": [1.0, 2.0, 3.0], "data": {"x": [1, 2.5, "s"]}}})"), &r),
            "test_address,feed=test_feed x=1i 1000000000\n"
            "test_address,feed=test_feed x=2.5 2000000000\n"
            "test_address,feed=test_feed x=\"s\" 3000000000\n");
}

TEST(FeedTest, DropsAndCountsWhatInfluxCannotStore) {
  EncodeResult r;
  EXPECT_EQ(Convert(Publication(R"({"b": {"block_name": "b",
      "timestamps": [1.0, 2.0, 3.0, 1e300, NaN],
      "data": {"x": [NaN, Infinity, 7, 1, 1],
               "y": [1.5, -Infinity, null, 1, 1],
               "big": [1, 2, 3, 18446744073709551616, 1],
               "time": [1, 2, 3, 4, 5]}}})"),
                    &r),
            "test_address,feed=test_feed y=1.5,big=1i 1000000000\n"
            "test_address,feed=test_feed big=2i 2000000000\n"
            "test_address,feed=test_feed x=7i,big=3i 3000000000\n");
  EXPECT_EQ(r.points, 3u);
  EXPECT_EQ(r.dropped.Get(DropReason::kNonFiniteFloat), 3u);
  EXPECT_EQ(r.dropped.Get(DropReason::kNullValue), 1u);
  EXPECT_EQ(r.dropped.Get(DropReason::kTimestampOverflow), 2u);
  EXPECT_EQ(r.dropped.Get(DropReason::kReservedFieldKey), 5u);
  EXPECT_EQ(r.dropped.Get(DropReason::kNoFieldsLeft), 0u);

  EncodeResult r2;
  EXPECT_EQ(Convert(Publication(R"({"b": {"block_name": "b",
      "timestamps": [1.0], "data": {"x": [NaN]}}})"), &r2), "");
  EXPECT_EQ(r2.dropped.Get(DropReason::kNoFieldsLeft), 1u);
  EXPECT_EQ(r2.dropped.Get(DropReason::kNonFiniteFloat), 1u);
}

TEST(FeedTest, EscapesWhatThePythonAgentCorrupted) {
  EncodeResult r;
  EXPECT_EQ(
      Convert(Publication(R"({"b": {"block_name": "b", "timestamps": [1.0],
          "data": {"s": ["a \"quoted\", spaced\\ value"]}}})",
                          R"({"agent_address": "obs agent,x", "feed_name": "f=1 2",
                              "record": true, "agg_params": {}})"),
              &r),
      "obs\\ agent\\,x,feed=f\\=1\\ 2 s=\"a \\\"quoted\\\", spaced\\ value\" "
      "1000000000\n");
}

TEST(FeedTest, NotRecordedAndExcludedFeedsProduceNothing) {
  EncodeResult r;
  EXPECT_EQ(Convert(R"([{"record": 3}, {"agent_address": "a", "feed_name": "heartbeat",
                        "record": false, "agg_params": {}}])",
                    &r),
            "");
  EXPECT_EQ(Convert(Publication(R"({"b": {"block_name": "b", "timestamps": [1.0],
                        "data": {"x": [1.0]}}})",
                                R"({"agent_address": "a", "feed_name": "f",
                        "record": true, "agg_params": {"exclude_influx": true}})"),
                    &r),
            "");
  EXPECT_EQ(r.points, 0u);
}

TEST(FeedTest, MalformedPublicationsAreErrorsThatSayWhere) {
  struct Case {
    std::string json;
    const char* reason;
  };
  const Case cases[] = {
      {"[1, 2, 3]", "2-element list"},
      {"{}", "2-element list"},
      {"[{}, []]", "not a dict"},
      {R"([{}, {"feed_name": "f", "record": true}])", "agent_address is missing"},
      {Publication(R"({"b": {"block_name": "b", "timestamps": [1.0, 2.0],
                       "data": {"x": [1.0]}}})"),
       "column \"x\" has 1 values for 2 timestamps"},
      {Publication(R"({"b": {"block_name": "b", "data": {}}})"), "timestamps"},
      {Publication(R"({"b": {"block_name": "b", "timestamps": ["x"], "data": {}}})"),
       "not a number"},
      {Publication(R"({"b": {"block_name": "b", "timestamps": [1], "data": {"x": 1}}})"),
       "not a list"},
      {Publication(R"({"b": {"block_name": "b", "timestamps": [1],
                       "data": {"x": [[1]]}}})"),
       "not a value"},
      {Publication(R"({"b": 5})"), "not a dict"},
      {"[{}, {\"agent_address\": \"a\", \"feed_name\": \"f\"", "unexpected end"},
      {std::string(100, '[') + std::string(100, ']'), "nested too deeply"},
      {"[{}, {}] x", "after the value"},
      {"\"\\ud800\"", "surrogate"},
  };
  for (const Case& c : cases) {
    EncodeResult r;
    absl::Status s;
    std::string out = Convert(c.json, &r, &s);
    EXPECT_FALSE(s.ok()) << c.json;
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(s.message(), HasSubstr(c.reason)) << c.json;
    EXPECT_EQ(out, "");
  }
}

TEST(JsonTest, ReadsWhatPythonWrites) {
  auto v = ParseJson(R"({"a": [1, -0, 1.0, 1e5, 9223372036854775808, -1e999,
      "\u00b5\ud83d\ude00\n", true, false, null], "a": 2})");
  ASSERT_TRUE(v.ok()) << v.status();
  const DynamicValue* a = v->Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->type, DynamicValue::Type::kInt);  // the last duplicate wins
  const DynamicValue& list = v->members[0].second;
  ASSERT_EQ(list.items.size(), 10u);
  EXPECT_EQ(list.items[0].type, DynamicValue::Type::kInt);
  EXPECT_EQ(list.items[1].type, DynamicValue::Type::kInt);
  EXPECT_EQ(list.items[2].type, DynamicValue::Type::kDouble);
  EXPECT_EQ(list.items[3].type, DynamicValue::Type::kDouble);
  EXPECT_EQ(list.items[4].type, DynamicValue::Type::kUint);
  EXPECT_TRUE(std::isinf(list.items[5].double_value));
  EXPECT_EQ(list.items[6].string_value, "\xc2\xb5\xf0\x9f\x98\x80\n");
  EXPECT_TRUE(list.items[7].bool_value);
  EXPECT_EQ(list.items[9].type, DynamicValue::Type::kNull);
}

// UTF-8 validation is tested in tests/common/utf8_test.cc (common/utf8).

}  // namespace
}  // namespace ocs_influx::core
