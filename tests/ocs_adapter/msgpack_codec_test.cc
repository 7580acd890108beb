#include "ocs_adapter/msgpack_codec.h"
#include "ocs_adapter/msgpack_publication.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <tuple>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/publisher.pb.h"
#include "service/core/feed_convert.h"
#include "service/core/json.h"
#include "service/core/publication.h"

namespace ocs_influx::ocs_adapter {
namespace {

using ::testing::HasSubstr;
using core::DynamicValue;
using ocs::influx::v1::OcsFeed;
using Type = DynamicValue::Type;

// Same type and value (NaN equals NaN, -0.0 differs from 0.0), recursively.
bool Same(const DynamicValue& a, const DynamicValue& b, std::string* why) {
  if (a.type != b.type) {
    *why = "type " + std::to_string(static_cast<int>(a.type)) + " vs " +
           std::to_string(static_cast<int>(b.type));
    return false;
  }
  switch (a.type) {
    case Type::kNull:
    case Type::kBigInt: return true;
    case Type::kBool: return a.bool_value == b.bool_value || (*why = "bool", false);
    case Type::kInt: return a.int_value == b.int_value || (*why = "int", false);
    case Type::kUint: return a.uint_value == b.uint_value || (*why = "uint", false);
    case Type::kDouble: {
      bool same = std::isnan(a.double_value)
                      ? std::isnan(b.double_value)
                      : (a.double_value == b.double_value &&
                         std::signbit(a.double_value) == std::signbit(b.double_value));
      return same || (*why = "double", false);
    }
    case Type::kString: return a.string_value == b.string_value || (*why = "string", false);
    case Type::kArray:
      if (a.items.size() != b.items.size()) return *why = "array size", false;
      for (size_t i = 0; i < a.items.size(); ++i) {
        if (!Same(a.items[i], b.items[i], why)) return false;
      }
      return true;
    case Type::kObject:
      if (a.members.size() != b.members.size()) return *why = "object size", false;
      for (size_t i = 0; i < a.members.size(); ++i) {
        if (a.members[i].first != b.members[i].first) return *why = "key", false;
        if (!Same(a.members[i].second, b.members[i].second, why)) return false;
      }
      return true;
  }
  return false;
}

DynamicValue Scalar(Type type) {
  DynamicValue v;
  v.type = type;
  return v;
}
DynamicValue Int(int64_t i) { DynamicValue v = Scalar(Type::kInt); v.int_value = i; return v; }
DynamicValue Uint(uint64_t u) { DynamicValue v = Scalar(Type::kUint); v.uint_value = u; return v; }
DynamicValue Double(double d) { DynamicValue v = Scalar(Type::kDouble); v.double_value = d; return v; }
DynamicValue Bool(bool b) { DynamicValue v = Scalar(Type::kBool); v.bool_value = b; return v; }
DynamicValue Str(std::string s) { DynamicValue v = Scalar(Type::kString); v.string_value = std::move(s); return v; }

DynamicValue EveryType() {
  DynamicValue array = Scalar(Type::kArray);
  array.items = {Scalar(Type::kNull), Bool(true), Bool(false), Int(0), Int(1),
                 Int(-1), Int(127), Int(-33), Int(std::numeric_limits<int64_t>::max()),
                 Int(std::numeric_limits<int64_t>::min()),
                 Uint(uint64_t{1} << 63), Uint(std::numeric_limits<uint64_t>::max()),
                 Double(1.0), Double(-0.0), Double(0.1), Double(1e300),
                 Double(std::numeric_limits<double>::quiet_NaN()),
                 Double(std::numeric_limits<double>::infinity()),
                 Double(-std::numeric_limits<double>::infinity()),
                 Str(""), Str("plain"), Str("caf\xc3\xa9 \xf0\x9f\x8c\xa1 \"q\" \\"),
                 Str(std::string("nul\0inside", 10)), Str(std::string(70000, 'x')),
                 Scalar(Type::kArray), Scalar(Type::kObject)};
  DynamicValue object = Scalar(Type::kObject);
  object.members = {{"b", Int(2)}, {"a", array}, {"", Str("empty key")},
                    {"b", Str("duplicate keys are kept, in order")}};
  DynamicValue top = Scalar(Type::kArray);
  top.items = {object, array};
  return top;
}

msgpack::object_handle Unpack(const msgpack::sbuffer& buffer) {
  return msgpack::unpack(buffer.data(), buffer.size());
}

TEST(MsgpackCodecTest, EveryTypeRoundTripsThroughPackValueTo) {
  const DynamicValue value = EveryType();
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  PackValueTo(pk, value);
  msgpack::object_handle handle = Unpack(buffer);
  DynamicValue back;
  ASSERT_TRUE(FromMsgpack(handle.get(), &back).ok());
  std::string why;
  EXPECT_TRUE(Same(value, back, &why)) << why;
}

TEST(MsgpackCodecTest, EveryTypeRoundTripsThroughObjectWithZone) {
  // autobahn-cpp turns arguments into objects: msgpack::object(args, zone).
  const DynamicValue value = EveryType();
  msgpack::zone zone;
  msgpack::object args(std::make_tuple(value), zone);
  ASSERT_EQ(args.type, msgpack::type::ARRAY);
  ASSERT_EQ(args.via.array.size, 1u);
  DynamicValue back;
  ASSERT_TRUE(FromMsgpack(args.via.array.ptr[0], &back).ok());
  std::string why;
  EXPECT_TRUE(Same(value, back, &why)) << why;

  // Packed as autobahn-cpp's transports pack it, then read back: equal
  // except that msgpack-c 4.1 writes integral doubles as ints (header).
  msgpack::sbuffer wire;
  msgpack::packer<msgpack::sbuffer> pk(wire);
  pk.pack(args);
  msgpack::object_handle handle = Unpack(wire);
  ASSERT_TRUE(FromMsgpack(handle.get().via.array.ptr[0], &back).ok());
  const DynamicValue& items = back.items[1];
  EXPECT_EQ(items.items[12].type, Type::kInt);     // 1.0 became 1
  EXPECT_EQ(items.items[13].type, Type::kInt);     // -0.0 became 0
  EXPECT_EQ(items.items[14].type, Type::kDouble);  // 0.1 stayed a float
}

TEST(MsgpackCodecTest, PackAdaptorWritesWhatPackValueToWrites) {
  const DynamicValue value = EveryType();
  msgpack::sbuffer direct, via_adaptor;
  msgpack::packer<msgpack::sbuffer> pk_direct(direct), pk_adaptor(via_adaptor);
  pk_direct.pack_array(1);
  PackValueTo(pk_direct, value);
  pk_adaptor.pack(std::make_tuple(value));  // as autobahn's argument tuples
  EXPECT_EQ(std::string(direct.data(), direct.size()),
            std::string(via_adaptor.data(), via_adaptor.size()));
}

std::string Bytes(const DynamicValue& v) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  PackValueTo(pk, v);
  return std::string(buffer.data(), buffer.size());
}

TEST(MsgpackCodecTest, PacksAsPythonExpects) {
  // float64, even where msgpack-c's pack_double would write an integer.
  EXPECT_EQ(Bytes(Double(1.0)), std::string("\xcb\x3f\xf0\0\0\0\0\0\0", 9));
  EXPECT_EQ(Bytes(Double(-0.0)), std::string("\xcb\x80\0\0\0\0\0\0\0", 9));
  EXPECT_EQ(Bytes(Double(1700000000.0)), std::string("\xcb\x41\xd9\x54\xfc\x40\0\0\0", 9));
  EXPECT_EQ(Bytes(Double(2.5)), std::string("\xcb\x40\x04\0\0\0\0\0\0", 9));
  EXPECT_EQ(Bytes(Int(1)), "\x01");
  EXPECT_EQ(Bytes(Int(-1)), "\xff");
  EXPECT_EQ(Bytes(Uint(std::numeric_limits<uint64_t>::max())),
            "\xcf\xff\xff\xff\xff\xff\xff\xff\xff");
  EXPECT_EQ(Bytes(Str("ab")), "\xa2" "ab");  // str, not bin
  EXPECT_EQ(Bytes(Scalar(Type::kBigInt)), "\xc0");  // no value kept: nil
  DynamicValue object = Scalar(Type::kObject);
  object.members = {{"z", Bool(true)}, {"a", Scalar(Type::kNull)}};
  EXPECT_EQ(Bytes(object), "\x82\xa1z\xc3\xa1" "a\xc0");  // member order
}

TEST(MsgpackCodecTest, ReadsIntegersAndFloatsByRange) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_array(6);
  pk.pack_uint64(std::numeric_limits<uint64_t>::max());
  pk.pack_uint64(uint64_t{1} << 63);
  pk.pack_uint64(static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
  pk.pack_int64(std::numeric_limits<int64_t>::min());
  pk.pack_float(0.1f);
  pk.pack_double(0.1);
  msgpack::object_handle handle = Unpack(buffer);
  DynamicValue v;
  ASSERT_TRUE(FromMsgpack(handle.get(), &v).ok());
  ASSERT_EQ(v.items.size(), 6u);
  EXPECT_EQ(v.items[0].type, Type::kUint);
  EXPECT_EQ(v.items[0].uint_value, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(v.items[1].type, Type::kUint);
  EXPECT_EQ(v.items[1].uint_value, uint64_t{1} << 63);
  EXPECT_EQ(v.items[2].type, Type::kInt);
  EXPECT_EQ(v.items[2].int_value, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(v.items[3].type, Type::kInt);
  EXPECT_EQ(v.items[3].int_value, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(v.items[4].type, Type::kDouble);
  EXPECT_EQ(v.items[4].double_value, static_cast<double>(0.1f));
  EXPECT_EQ(v.items[5].type, Type::kDouble);
  EXPECT_EQ(v.items[5].double_value, 0.1);
}

// The spec's example publication, packed as autobahn-python packs what an
// OCS agent publishes: floats as float64, ints as ints.
const char kSpecJson[] =
    R"([{"test": {"block_name": "test", "timestamps": [1615394417.3590388],
          "data": {"key1": [1], "key2": [2.3], "key3": ["test"]}}},
        {"agent_address": "test_address", "agg_params": {},
         "feed_name": "test_feed", "address": "test_address.feeds.test_feed",
         "record": true, "session_id": "1", "agent_class": "X"}])";

void PackStr(msgpack::packer<msgpack::sbuffer>& pk, const std::string& s) {
  pk.pack_str(static_cast<uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

// The smallest feed map a publication can carry: agent "a", feed "f".
void PackMinimalFeed(msgpack::packer<msgpack::sbuffer>& pk, bool record) {
  pk.pack_map(3);
  PackStr(pk, "agent_address");
  PackStr(pk, "a");
  PackStr(pk, "feed_name");
  PackStr(pk, "f");
  PackStr(pk, "record");
  if (record) {
    pk.pack_true();
  } else {
    pk.pack_false();
  }
}

msgpack::sbuffer SpecPublication() {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_array(2);
  pk.pack_map(1);
  PackStr(pk, "test");
  pk.pack_map(3);
  PackStr(pk, "block_name");
  PackStr(pk, "test");
  PackStr(pk, "timestamps");
  pk.pack_array(1);
  pk.pack_double(1615394417.3590388);
  PackStr(pk, "data");
  pk.pack_map(3);
  PackStr(pk, "key1");
  pk.pack_array(1);
  pk.pack_int(1);
  PackStr(pk, "key2");
  pk.pack_array(1);
  pk.pack_double(2.3);
  PackStr(pk, "key3");
  pk.pack_array(1);
  PackStr(pk, "test");
  pk.pack_map(7);
  PackStr(pk, "agent_address");
  PackStr(pk, "test_address");
  PackStr(pk, "agg_params");
  pk.pack_map(0);
  PackStr(pk, "feed_name");
  PackStr(pk, "test_feed");
  PackStr(pk, "address");
  PackStr(pk, "test_address.feeds.test_feed");
  PackStr(pk, "record");
  pk.pack_true();
  PackStr(pk, "session_id");
  PackStr(pk, "1");
  PackStr(pk, "agent_class");
  PackStr(pk, "X");
  return buffer;
}

TEST(MsgpackCodecTest, SpecPublicationGivesTheJsonPathsFeedAndLine) {
  OcsFeed from_json, from_msgpack;
  ASSERT_TRUE(core::PublicationJsonToFeed(kSpecJson, &from_json).ok());
  msgpack::sbuffer buffer = SpecPublication();
  msgpack::object_handle handle = Unpack(buffer);
  absl::Status s = PublicationToFeedMsgpack(handle.get(), &from_msgpack);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(from_json.SerializeAsString(), from_msgpack.SerializeAsString())
      << from_json.DebugString() << "\n" << from_msgpack.DebugString();

  core::FeedConverter converter;
  core::EncodeResult result;
  std::string out;
  ASSERT_TRUE(converter.Convert(from_msgpack, &out, &result).ok());
  EXPECT_EQ(out,
            "test_address,feed=test_feed key1=1i,key2=2.3,key3=\"test\" "
            "1615394417359038720\n");
}

// Every line of a JSON file against the same publications packed by
// Python's msgpack (testdata/make_msgpack_vectors.py).
void ExpectSameFeeds(const std::string& jsonl_path, const std::string& msgpack_path,
                     size_t expected_count) {
  std::ifstream jsonl(jsonl_path);
  std::ifstream packed_in(msgpack_path, std::ios::binary);
  ASSERT_TRUE(jsonl && packed_in) << jsonl_path << " " << msgpack_path;
  std::stringstream packed;
  packed << packed_in.rdbuf();
  const std::string bytes = packed.str();
  size_t offset = 0, count = 0, records = 0;
  std::string line;
  while (std::getline(jsonl, line)) {
    if (line.empty()) continue;
    ASSERT_LT(offset, bytes.size()) << "line " << count;
    msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size(), offset);
    OcsFeed from_json, from_msgpack;
    absl::Status json_status = core::PublicationJsonToFeed(line, &from_json);
    absl::Status msgpack_status = PublicationToFeedMsgpack(handle.get(), &from_msgpack);
    ASSERT_TRUE(json_status.ok()) << json_status;
    ASSERT_TRUE(msgpack_status.ok()) << msgpack_status;
    EXPECT_EQ(from_json.SerializeAsString(), from_msgpack.SerializeAsString())
        << "line " << count;
    records += from_json.record() ? 1 : 0;
    ++count;
  }
  EXPECT_EQ(offset, bytes.size());
  EXPECT_EQ(count, expected_count);
  EXPECT_GT(records, 0u);
}

TEST(MsgpackCodecTest, ExampleFeedsMatchTheJsonPath) {
  ExpectSameFeeds("tests/ocs_adapter/testdata/ocs_feeds.jsonl",
                  "tests/ocs_adapter/testdata/ocs_feeds.msgpack", 12);
}

TEST(MsgpackCodecTest, GeneratedVectorsMatchTheJsonPath) {
  ExpectSameFeeds("tests/ocs_adapter/testdata/ocs_vectors.jsonl",
                  "tests/ocs_adapter/testdata/ocs_vectors.msgpack", 40);
}

std::string Nested(int depth) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  for (int i = 0; i < depth; ++i) pk.pack_array(1);
  pk.pack_int(7);
  return std::string(buffer.data(), buffer.size());
}

TEST(MsgpackCodecTest, NestingIsBoundedLikeTheJsonReader) {
  for (int depth : {core::kMaxValueDepth - 1, core::kMaxValueDepth,
                    core::kMaxValueDepth + 1, core::kMaxValueDepth + 2}) {
    std::string bytes = Nested(depth);
    msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size());
    DynamicValue v;
    absl::Status s = FromMsgpack(handle.get(), &v);
    std::string json = std::string(depth, '[') + "7" + std::string(depth, ']');
    EXPECT_EQ(s.ok(), core::ParseJson(json).ok()) << depth;
  }
  std::string ok = Nested(core::kMaxValueDepth);
  DynamicValue v;
  EXPECT_TRUE(FromMsgpack(msgpack::unpack(ok.data(), ok.size()).get(), &v).ok());
  std::string too_deep = Nested(core::kMaxValueDepth + 1);
  EXPECT_FALSE(
      FromMsgpack(msgpack::unpack(too_deep.data(), too_deep.size()).get(), &v).ok());
}

TEST(MsgpackCodecTest, VeryDeepNestingIsRefusedWithoutRecursing) {
  std::string bytes = Nested(200000);
  msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size());
  DynamicValue v;
  absl::Status s = FromMsgpack(handle.get(), &v, "args[0]");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("nested too deeply"));
  EXPECT_THAT(s.message(), HasSubstr("args[0][0][0]"));
}

// [message, feed] with `bad` as the value of message.temps.data.x[1].
absl::Status PublicationWithValue(const std::function<void(msgpack::packer<msgpack::sbuffer>&)>& bad) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_array(2);
  pk.pack_map(1);
  PackStr(pk, "temps");
  pk.pack_map(2);
  PackStr(pk, "timestamps");
  pk.pack_array(2);
  pk.pack_double(1.0);
  pk.pack_double(2.0);
  PackStr(pk, "data");
  pk.pack_map(1);
  PackStr(pk, "x");
  pk.pack_array(2);
  pk.pack_double(1.5);
  bad(pk);
  PackMinimalFeed(pk, /*record=*/true);
  msgpack::object_handle handle = Unpack(buffer);
  OcsFeed feed;
  absl::Status s = PublicationToFeedMsgpack(handle.get(), &feed);
  if (!s.ok()) {
    EXPECT_EQ(feed.ByteSizeLong(), 0u);
  }
  return s;
}

TEST(MsgpackCodecTest, ValuesJsonCannotHoldAreErrorsThatSayWhere) {
  absl::Status s = PublicationWithValue([](auto& pk) {
    pk.pack_bin(2);
    pk.pack_bin_body("\x00\xff", 2);
  });
  EXPECT_EQ(s.message(),
            "args[0][0].temps.data.x[1]: binary data (msgpack bin, 2 bytes) "
            "where a value was expected");
  s = PublicationWithValue([](auto& pk) {
    pk.pack_ext(2, 5);
    pk.pack_ext_body("ab", 2);
  });
  EXPECT_EQ(s.message(),
            "args[0][0].temps.data.x[1]: a msgpack extension (type 5) where a "
            "value was expected");
  s = PublicationWithValue([](auto& pk) { PackStr(pk, "bad \xff\xfe utf-8"); });
  EXPECT_EQ(s.message(), "args[0][0].temps.data.x[1]: a string is not valid UTF-8");
  s = PublicationWithValue([](auto& pk) { PackStr(pk, "\xed\xa0\x80"); });  // surrogate
  EXPECT_THAT(s.message(), HasSubstr("not valid UTF-8"));
  // A valid value converts.
  EXPECT_TRUE(PublicationWithValue([](auto& pk) { pk.pack_double(2.5); }).ok());
}

TEST(MsgpackCodecTest, MapKeysMustBeUtf8Strings) {
  absl::Status s = PublicationWithValue([](auto& pk) {
    pk.pack_map(2);
    PackStr(pk, "ok");
    pk.pack_nil();
    pk.pack_int(42);
    pk.pack_nil();
  });
  EXPECT_EQ(s.message(),
            "args[0][0].temps.data.x[1]: map key #1 (integer 42) is not a "
            "string; keys must be");
  s = PublicationWithValue([](auto& pk) {
    pk.pack_map(1);
    pk.pack_bin(1);
    pk.pack_bin_body("k", 1);
    pk.pack_nil();
  });
  EXPECT_THAT(s.message(), HasSubstr("map key #0 (binary data) is not a string"));
  s = PublicationWithValue([](auto& pk) {
    pk.pack_map(1);
    PackStr(pk, "\xc3");
    pk.pack_nil();
  });
  EXPECT_THAT(s.message(), HasSubstr("map key #0 is not valid UTF-8"));
  // Keys that are not plain names are quoted and escaped in the path.
  s = PublicationWithValue([](auto& pk) {
    pk.pack_map(1);
    PackStr(pk, "a \"b\"\n");
    pk.pack_bin(0);
    pk.pack_bin_body("", 0);
  });
  EXPECT_THAT(s.message(),
              HasSubstr("args[0][0].temps.data.x[1][\"a \\x22b\\x22\\x0a\"]: binary"));
}

TEST(MsgpackCodecTest, RootNameIsTheCallersAndPublicationShapeIsChecked) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_map(1);
  pk.pack_true();
  pk.pack_nil();
  DynamicValue v;
  absl::Status s = FromMsgpack(Unpack(buffer).get(), &v, "kwargs");
  EXPECT_EQ(s.message(), "kwargs: map key #0 (true) is not a string; keys must be");

  msgpack::sbuffer one;
  msgpack::packer<msgpack::sbuffer> pk_one(one);
  pk_one.pack_int(3);
  OcsFeed feed;
  s = PublicationToFeedMsgpack(Unpack(one).get(), &feed);
  EXPECT_THAT(s.message(), HasSubstr("[message, feed]"));
}


// A usual publication, with at most one flaw FromMsgpack refuses, placed
// where the in-place reader (ReadPublicationInPlace) converts or skips.
enum class Flaw {
  kNone,
  kStringColumnNotUtf8,   // every value a string, one not UTF-8
  kFieldNameNotUtf8,      // a key of data
  kBlockKeyNotString,     // a key of the message
  kBinInOtherBlockMember, // a block member the reader does not read
  kFeedMemberNotUtf8,     // "address", which the reader does not read
  kAggKeyNotString,       // a key of agg_params
  kShadowedColumnHoldsBin,  // a repeated field name's first, unread, value
};

msgpack::sbuffer PublicationWithFlaw(Flaw flaw) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_array(2);
  pk.pack_map(1);
  if (flaw == Flaw::kBlockKeyNotString) {
    pk.pack_int(7);
  } else {
    PackStr(pk, "temps");
  }
  pk.pack_map(flaw == Flaw::kBinInOtherBlockMember ? 4 : 3);
  PackStr(pk, "block_name");
  PackStr(pk, "temps");
  PackStr(pk, "timestamps");
  pk.pack_array(2);
  pk.pack_double(1.0);
  pk.pack_double(2.0);
  if (flaw == Flaw::kBinInOtherBlockMember) {
    PackStr(pk, "extra");
    pk.pack_bin(1);
    pk.pack_bin_body("x", 1);
  }
  PackStr(pk, "data");
  pk.pack_map(flaw == Flaw::kShadowedColumnHoldsBin ? 3 : 2);
  if (flaw == Flaw::kShadowedColumnHoldsBin) {
    PackStr(pk, "s");
    pk.pack_array(1);
    pk.pack_bin(1);
    pk.pack_bin_body("x", 1);
  }
  PackStr(pk, flaw == Flaw::kFieldNameNotUtf8 ? "x\xff" : "x");
  pk.pack_array(2);
  pk.pack_double(1.5);
  pk.pack_double(2.5);
  PackStr(pk, "s");
  pk.pack_array(2);
  PackStr(pk, "ok");
  PackStr(pk, flaw == Flaw::kStringColumnNotUtf8 ? "bad \xc3" : "fine");
  pk.pack_map(5);
  PackStr(pk, "agent_address");
  PackStr(pk, "a");
  PackStr(pk, "feed_name");
  PackStr(pk, "f");
  PackStr(pk, "address");
  PackStr(pk, flaw == Flaw::kFeedMemberNotUtf8 ? "a.feeds.\xfe" : "a.feeds.f");
  PackStr(pk, "agg_params");
  pk.pack_map(1);
  if (flaw == Flaw::kAggKeyNotString) {
    pk.pack_nil();
  } else {
    PackStr(pk, "frame_length");
  }
  pk.pack_int(60);
  PackStr(pk, "record");
  pk.pack_true();
  return buffer;
}

// The in-place reader checks FromMsgpack's rules itself as it reads (there
// is no separate walk before it): what the tree path refuses, it must
// refuse, wherever the flaw sits, and the refusal is the tree path's.
TEST(MsgpackCodecTest, InPlaceReaderRefusesWhatTheTreePathRefuses) {
  {
    msgpack::sbuffer buffer = PublicationWithFlaw(Flaw::kNone);
    msgpack::object_handle handle = Unpack(buffer);
    OcsFeed fast, general;
    ASSERT_TRUE(ReadPublicationInPlace(handle.get(), &fast).ok());
    ASSERT_TRUE(PublicationToFeedViaTree(handle.get(), &general).ok());
    EXPECT_EQ(fast.SerializeAsString(), general.SerializeAsString());
  }
  for (Flaw flaw : {Flaw::kStringColumnNotUtf8, Flaw::kFieldNameNotUtf8,
                    Flaw::kBlockKeyNotString, Flaw::kBinInOtherBlockMember,
                    Flaw::kFeedMemberNotUtf8, Flaw::kAggKeyNotString,
                    Flaw::kShadowedColumnHoldsBin}) {
    SCOPED_TRACE(static_cast<int>(flaw));
    msgpack::sbuffer buffer = PublicationWithFlaw(flaw);
    msgpack::object_handle handle = Unpack(buffer);
    OcsFeed feed;
    EXPECT_FALSE(ReadPublicationInPlace(handle.get(), &feed).ok());
    absl::Status s = PublicationToFeedMsgpack(handle.get(), &feed);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s, PublicationToFeedViaTree(handle.get(), &feed));
    EXPECT_EQ(feed.ByteSizeLong(), 0u);
  }
}

// Python's dict: a repeated key keeps its first position and its last
// value, in place as in the tree.
TEST(MsgpackCodecTest, RepeatedKeysReadInPlaceAsInTheTree) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_array(2);
  pk.pack_map(1);
  PackStr(pk, "b");
  pk.pack_map(2);
  PackStr(pk, "timestamps");
  pk.pack_array(1);
  pk.pack_double(1.0);
  PackStr(pk, "data");
  pk.pack_map(3);
  // Not integral: msgpack-c's pack_double writes 1.0 as an int.
  const std::pair<const char*, double> columns[] = {{"x", 1.5}, {"y", 2.5}, {"x", 3.5}};
  for (const auto& [name, value] : columns) {
    PackStr(pk, name);
    pk.pack_array(1);
    pk.pack_double(value);
  }
  PackMinimalFeed(pk, /*record=*/true);
  msgpack::object_handle handle = Unpack(buffer);
  OcsFeed in_place, tree;
  ASSERT_TRUE(ReadPublicationInPlace(handle.get(), &in_place).ok());
  ASSERT_TRUE(PublicationToFeedViaTree(handle.get(), &tree).ok());
  EXPECT_EQ(in_place.SerializeAsString(), tree.SerializeAsString());
  ASSERT_EQ(in_place.blocks(0).columns_size(), 2);
  EXPECT_EQ(in_place.blocks(0).columns(0).name(), "x");
  ASSERT_EQ(in_place.blocks(0).columns(0).doubles().values_size(), 1);
  EXPECT_EQ(in_place.blocks(0).columns(0).doubles().values(0), 3.5);
  EXPECT_EQ(in_place.blocks(0).columns(1).name(), "y");
}

// Not recorded: the message is not converted, but read all the same.
TEST(MsgpackCodecTest, InPlaceReaderChecksTheMessageOfAFeedNotRecorded) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_array(2);
  pk.pack_map(1);
  PackStr(pk, "b");
  pk.pack_bin(1);
  pk.pack_bin_body("x", 1);
  PackMinimalFeed(pk, /*record=*/false);
  msgpack::object_handle handle = Unpack(buffer);
  OcsFeed feed;
  EXPECT_FALSE(ReadPublicationInPlace(handle.get(), &feed).ok());
  absl::Status s = PublicationToFeedMsgpack(handle.get(), &feed);
  EXPECT_THAT(s.message(), HasSubstr("binary data"));
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Issue 8, finding 3: duplicate keys were found by comparing every key with
// every earlier one; 80,000 equal-length block names (under 1 MiB) took the
// WAMP thread 5-9 s. Now linear: the whole publication reads in well under a
// second, even in a debug build, and a repeated name is still found.
TEST(MsgpackCodecTest, ManyBlockNamesAreReadInLinearTime) {
  constexpr int kBlocks = 80000;
  for (bool repeat_last : {false, true}) {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> pk(buffer);
    pk.pack_array(2);
    pk.pack_map(kBlocks);
    for (int i = 0; i < kBlocks; ++i) {
      char name[16];
      std::snprintf(name, sizeof(name), "b%07d", repeat_last && i == kBlocks - 1 ? 0 : i);
      pk.pack(std::string(name));
      pk.pack_map(3);
      pk.pack(std::string("block_name"));
      pk.pack(std::string(name));
      pk.pack(std::string("timestamps"));
      pk.pack_array(1);
      pk.pack_double(1700000000.5);
      pk.pack(std::string("data"));
      pk.pack_map(1);
      pk.pack(std::string("v"));
      pk.pack_array(1);
      pk.pack_double(1.5);
    }
    pk.pack_map(3);
    pk.pack(std::string("agent_address"));
    pk.pack(std::string("observatory.many"));
    pk.pack(std::string("feed_name"));
    pk.pack(std::string("f"));
    pk.pack(std::string("record"));
    pk.pack(true);
    ASSERT_LT(buffer.size(), 8u << 20);
    msgpack::object_handle handle = msgpack::unpack(buffer.data(), buffer.size());
    OcsFeed feed;
    // CPU time of this thread: the machine running the tests may be busy.
    const double start = ThreadCpuSeconds();
    absl::Status s = PublicationToFeedMsgpack(handle.get(), &feed);
    const double took = ThreadCpuSeconds() - start;
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(feed.blocks_size(), repeat_last ? kBlocks - 1 : kBlocks);
    // Quadratic, this took over 60 s in this (unoptimised) build; linear,
    // about 0.1 s with an optimised build, repeated names included.
    EXPECT_LT(took, 4.0) << "repeat_last=" << repeat_last;
    std::fprintf(stderr, "%d block names (repeat_last=%d): %.2f s CPU\n", kBlocks,
                 repeat_last, took);
  }
}

}  // namespace
}  // namespace ocs_influx::ocs_adapter
