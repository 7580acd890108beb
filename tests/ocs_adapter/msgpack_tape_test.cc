#include "ocs_adapter/msgpack_tape.h"

#include <malloc.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include <msgpack.hpp>

#include "common/files/files.h"
#include "gtest/gtest.h"
#include "ocs_adapter/msgpack_codec.h"
#include "ocs_adapter/msgpack_publication.h"
#include "ocs_adapter/msgpack_view.h"
#include "proto/publisher.pb.h"

namespace ocs_influx::ocs_adapter {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

template <typename F>
std::string Packed(F build) {
  msgpack::sbuffer buffer;
  Packer pk(buffer);
  build(pk);
  return std::string(buffer.data(), buffer.size());
}

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// The tape and msgpack-c's object, compared value by value.
void ExpectSameValue(MsgpackTapeView t, MsgpackView m, const std::string& where) {
  ASSERT_EQ(t.kind(), m.kind()) << where;
  switch (t.kind()) {
    case core::ValueKind::kBool: EXPECT_EQ(t.bool_value(), m.bool_value()) << where; break;
    case core::ValueKind::kInt: EXPECT_EQ(t.int_value(), m.int_value()) << where; break;
    case core::ValueKind::kUint: EXPECT_EQ(t.uint_value(), m.uint_value()) << where; break;
    case core::ValueKind::kDouble:
    {
      const double a = t.double_value(), b = m.double_value();
      EXPECT_EQ(std::memcmp(&a, &b, sizeof(a)), 0) << where;  // NaNs too
      break;
    }
    case core::ValueKind::kString: EXPECT_EQ(t.string_value(), m.string_value()) << where; break;
    case core::ValueKind::kArray:
      ASSERT_EQ(t.size(), m.size()) << where;
      for (uint32_t i = 0; i < t.size(); ++i) {
        ExpectSameValue(t.item(i), m.item(i), where + "[" + std::to_string(i) + "]");
      }
      break;
    case core::ValueKind::kMap:
      ASSERT_EQ(t.size(), m.size()) << where;
      for (uint32_t i = 0; i < t.size(); ++i) {
        EXPECT_EQ(t.key(i), m.key(i)) << where;
        ExpectSameValue(t.value(i), m.value(i), where + "." + std::string(m.key(i)));
      }
      EXPECT_EQ(MsgpackTapeView::KeysReadable(t), MsgpackView::KeysReadable(m)) << where;
      break;
    default: break;
  }
  EXPECT_EQ(MsgpackTapeView::Readable(t, 0), MsgpackView::Readable(m, 0)) << where;
}

void ExpectReadsLikeMsgpackC(const std::string& bytes) {
  MsgpackTape tape;
  ASSERT_TRUE(tape.Read(bytes));
  msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size());
  ExpectSameValue(tape.root(), MsgpackView(handle.get()), "top");
}

TEST(MsgpackTapeTest, ReadsEveryKindAsMsgpackCDoes) {
  // Every encoding of each kind, including the signed encodings of values
  // that are not negative (msgpack-c: positive integers), float32, old-spec
  // raw (str 8/16/32), bin, ext, fixext.
  ExpectReadsLikeMsgpackC(FromHex(
      "dc0022"                         // array 16 of 34 items
      "c0c2c3"                         // nil, false, true
      "007fe0ff"                       // fixints
      "cc80cd0100ce00010000cfffffffffffffffff"  // uint 8..64
      "d07fd0ffd1ff00d2ffff0000d3ffffffffffffffff"  // int 8..64
      "d300000000000000ff"             // int 64 holding 255: positive
      "ca3fc00000cb400921fb54442d18"   // float32 1.5, float64 pi
      "a3616263d90161da0001"           // fixstr abc, str 8 a, str 16 of 1
      "62"                             // ... its byte
      "db0000000162"                   // str 32 of 1
      "c40101c50000c60000000100"       // bin 8, 16, 32
      "c70107ffd4010ad5020000"         // ext 8, fixext 1, fixext 2
      "82a16b01a26b32c0"               // map {k: 1, k2: nil}
      "9091c0"                         // [], [nil]
      "8001"));                        // {} and the 34th item
}

// The adapter reads every message into one tape, which keeps the nodes of
// larger messages before: a smaller one after a larger one, a refused one
// between, and the larger one again all read as a fresh tape reads them.
TEST(MsgpackTapeTest, AReusedTapeReadsEachMessageAsAFreshOne) {
  const std::string big = Packed([](Packer& pk) {
    pk.pack_array(3);
    pk.pack_map(2);
    pk.pack(std::string("a"));
    pk.pack_array(50);
    for (int i = 0; i < 50; ++i) pk.pack(i * 1.5);
    pk.pack(std::string("b"));
    pk.pack(std::string("text"));
    pk.pack_array(0);
    pk.pack(7);
  });
  const std::string small = Packed([](Packer& pk) {
    pk.pack_array(2);
    pk.pack(std::string("s"));
    pk.pack_array(1);
    pk.pack(-3);
  });
  MsgpackTape tape;
  for (const std::string& bytes : {big, small, std::string("\x92\x01"), small, big, small}) {
    const bool complete = bytes != "\x92\x01";
    ASSERT_EQ(tape.Read(bytes), complete);
    if (!complete) continue;
    const msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size());
    ExpectSameValue(tape.root(), MsgpackView(handle.get()), "top");
  }
}

TEST(MsgpackTapeTest, RefusesWhatIsNotExactlyOneCompleteObject) {
  MsgpackTape tape;
  EXPECT_FALSE(tape.Read(""));
  EXPECT_FALSE(tape.Read(FromHex("c1")));        // never used
  EXPECT_FALSE(tape.Read(FromHex("92c0")));      // one of two items
  EXPECT_FALSE(tape.Read(FromHex("cb4009")));    // float64 cut short
  EXPECT_FALSE(tape.Read(FromHex("a3616")));     // str cut short
  EXPECT_FALSE(tape.Read(FromHex("c0c0")));      // two objects
  EXPECT_FALSE(tape.Read(FromHex("dd7fffffff"))); // 2^31 items claimed, none there
  EXPECT_TRUE(tape.Read(FromHex("91c0")));
}

size_t HeapInUse() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

TEST(MsgpackTapeTest, ClaimsBeyondTheBytesReserveNothing) {
  // Each array claims as many items as bytes are left after it, nested:
  // reserving before reading would be quadratic in the message (here 2^31
  // nodes); the pending items of all open arrays are counted instead.
  std::string bytes;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    const uint32_t left = static_cast<uint32_t>(5 * (n - i - 1) + 1);
    bytes += FromHex("dd");
    for (int s = 24; s >= 0; s -= 8) bytes.push_back(static_cast<char>((left >> s) & 0xff));
  }
  bytes += FromHex("c0");
  const size_t before = HeapInUse();
  MsgpackTape tape;
  EXPECT_FALSE(tape.Read(bytes));
  // Counted: about one node per byte (20 KB: 320 KB). Not: 8e6 nodes.
  EXPECT_LT(HeapInUse() - before, size_t{4} << 20);
}

TEST(MsgpackTapeTest, DeepNestingReadsWithoutRecursion) {
  std::string bytes(200000, static_cast<char>(0x91));
  bytes.push_back(static_cast<char>(0xc0));
  MsgpackTape tape;
  ASSERT_TRUE(tape.Read(bytes));
  EXPECT_FALSE(MsgpackTapeView::Readable(tape.root(), 0));  // past kMaxValueDepth
  tape.Trim();
}

std::string Event(int fields, bool with_arg) {
  return Packed([&](Packer& pk) {
    pk.pack_array(fields);
    pk.pack_uint8(36);
    pk.pack_uint64(4242424242424242ull);
    pk.pack_uint32(7);
    pk.pack_map(1);
    pk.pack("topic");
    pk.pack("observatory.x.feeds.y");
    if (fields > 4) {
      pk.pack_array(with_arg ? 2 : 0);
      if (with_arg) {
        pk.pack_array(2);
        pk.pack_map(0);
        pk.pack_map(1);
        pk.pack("record");
        pk.pack_true();
        pk.pack("second argument, ignored");
      }
    }
    if (fields > 5) {
      pk.pack_map(1);
      pk.pack("k");
      pk.pack_nil();
    }
  });
}

TEST(MsgpackTapeTest, ReadsTheEnvelopeOfAnEvent) {
  for (int fields : {4, 5, 6}) {
    for (bool with_arg : {false, true}) {
      const std::string message = Event(fields, with_arg);  // arg0 points into it
      WampEvent event;
      ASSERT_TRUE(ReadWampEvent(message, &event)) << fields;
      EXPECT_EQ(event.subscription, 4242424242424242ull);
      EXPECT_EQ(event.has_arg0, fields > 4 && with_arg);
      if (event.has_arg0) {
        EXPECT_EQ(event.arg0, FromHex("92" "80" "81a67265636f7264c3"));
      }
    }
  }
}

TEST(MsgpackTapeTest, LeavesEverythingElseToAutobahn) {
  WampEvent event;
  std::string ok = Event(5, true);
  EXPECT_FALSE(ReadWampEvent(ok + ok, &event));  // two messages in one
  EXPECT_FALSE(ReadWampEvent(ok.substr(0, ok.size() - 1), &event));
  std::string code = ok;
  code[1] = 37;  // not EVENT
  EXPECT_FALSE(ReadWampEvent(code, &event));
  // A subscription id that is not a positive integer, details not a map,
  // arguments not a list: autobahn-cpp's protocol errors.
  EXPECT_FALSE(ReadWampEvent(Packed([](Packer& pk) {
                               pk.pack_array(4);
                               pk.pack_uint8(36);
                               pk.pack_int8(-1);
                               pk.pack_uint8(1);
                               pk.pack_map(0);
                             }),
                             &event));
  EXPECT_FALSE(ReadWampEvent(Packed([](Packer& pk) {
                               pk.pack_array(4);
                               pk.pack_uint8(36);
                               pk.pack_uint8(1);
                               pk.pack_uint8(1);
                               pk.pack_array(0);
                             }),
                             &event));
  EXPECT_FALSE(ReadWampEvent(Packed([](Packer& pk) {
                               pk.pack_array(5);
                               pk.pack_uint8(36);
                               pk.pack_uint8(1);
                               pk.pack_uint8(1);
                               pk.pack_map(0);
                               pk.pack_map(0);
                             }),
                             &event));
  EXPECT_FALSE(ReadWampEvent(Packed([](Packer& pk) {
                               pk.pack_array(3);
                               pk.pack_uint8(36);
                               pk.pack_uint8(1);
                               pk.pack_uint8(1);
                             }),
                             &event));
  // A signed encoding of 36 is 36 for msgpack-c, and so for autobahn-cpp.
  std::string signed_code = ok;
  signed_code.replace(1, 1, FromHex("d024"));
  EXPECT_TRUE(ReadWampEvent(signed_code, &event));
}

// Real publications (packed by Python's msgpack): the tape path gives the
// feed, or the refusal, that the msgpack-c path gives.
TEST(MsgpackTapeTest, PublicationsReadAsThroughMsgpackC) {
  for (const char* path : {"tests/ocs_adapter/testdata/ocs_feeds.msgpack",
                           "tests/ocs_adapter/testdata/ocs_vectors.msgpack"}) {
    absl::StatusOr<std::string> read = files::ReadWholeFile(path, "test data");
    ASSERT_TRUE(read.ok()) << read.status();
    const std::string& bytes = *read;
    ASSERT_FALSE(bytes.empty()) << path;
    absl::string_view rest = bytes;
    int publications = 0, refused = 0;
    MsgpackTape tape;
    while (!rest.empty()) {
      const size_t n = MsgpackObjectLength(rest);
      ASSERT_GT(n, 0u);
      const std::string one(rest.substr(0, n));
      rest.remove_prefix(n);
      ExpectReadsLikeMsgpackC(one);
      msgpack::object_handle handle = msgpack::unpack(one.data(), one.size());
      ocs::influx::v1::OcsFeed via_object, via_tape;
      absl::Status a = PublicationToFeedMsgpack(handle.get(), &via_object);
      absl::Status b = PublicationToFeedMsgpack(one, &tape, &via_tape);
      EXPECT_EQ(a, b);
      EXPECT_EQ(via_object.SerializeAsString(), via_tape.SerializeAsString());
      ++publications;
      refused += a.ok() ? 0 : 1;
    }
    EXPECT_GT(publications, 10) << path;
    EXPECT_LT(refused, publications) << path;
  }
}

TEST(MsgpackTapeTest, ARefusalSaysWhereAsTheTreeDoes) {
  // A bin value inside the message: the tape's reader refuses, and the
  // refusal is FromMsgpack's, with its path.
  std::string bytes = Packed([](Packer& pk) {
    pk.pack_array(2);
    pk.pack_map(1);
    pk.pack("b");
    pk.pack_map(2);
    pk.pack("timestamps");
    pk.pack_array(1);
    pk.pack_double(1.5);
    pk.pack("data");
    pk.pack_map(1);
    pk.pack("x");
    pk.pack_bin(1);
    pk.pack_bin_body("\x01", 1);
    pk.pack_map(0);
  });
  MsgpackTape tape;
  ocs::influx::v1::OcsFeed feed;
  absl::Status s = PublicationToFeedMsgpack(bytes, &tape, &feed);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("args[0]"), absl::string_view::npos) << s;
  EXPECT_EQ(feed.ByteSizeLong(), 0u);
  msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size());
  EXPECT_EQ(s, PublicationToFeedMsgpack(handle.get(), &feed));
  // Bytes that are not one object: said so, nothing unpacked.
  EXPECT_FALSE(PublicationToFeedMsgpack(FromHex("c0c0"), &tape, &feed).ok());
}

}  // namespace
}  // namespace ocs_influx::ocs_adapter
