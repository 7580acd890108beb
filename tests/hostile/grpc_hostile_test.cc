// Hostile input through gRPC, one table row per class of bad input, against
// a real publisher (tests/service/publisher_fixture.h) in front of a real
// influxd. Each row names the request, the status code it must get and a
// substring of its message, and how many of its points may land (in the
// measurement "h_<row name>"; 0 for every refused request: nothing of it
// is kept). After every row a good Write must still succeed. At the end,
// after a Flush, InfluxDB must hold exactly the points the rows allow and
// every good point, and the publisher's points_accepted must count exactly
// those: nothing of a refused request was half-accepted.
//
// The rows are printed (HOSTILE-ROW lines); docs/hostile-input.md lists
// them by name. Run alone: bazel test //tests/hostile:grpc_hostile_test
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <limits>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/service/publisher_fixture.h"

namespace ocs_influx::testing {
namespace {

namespace v1 = ocs::influx::v1;
using grpc::StatusCode;

constexpr int64_t kT0 = 1700000000000000000LL;  // a fixed, valid time (ns)

// ----------------------------------------------------------- request makers

v1::Point* AddPoint(v1::WriteRequest* r, const std::string& measurement,
                    int64_t ts = kT0) {
  v1::Point* p = r->add_points();
  p->set_measurement(measurement);
  p->set_timestamp_ns(ts);
  return p;
}

v1::FieldValue* AddField(v1::Point* p, const std::string& key) {
  v1::Field* f = p->add_fields();
  f->set_key(key);
  return f->mutable_value();
}

// A valid point of `measurement`: v=1i at kT0 + i.
v1::Point* GoodPoint(v1::WriteRequest* r, const std::string& measurement, int i = 0) {
  v1::Point* p = AddPoint(r, measurement, kT0 + i);
  AddField(p, "v")->set_int_value(i);
  return p;
}

v1::OcsFeed Feed(const std::string& address, int rows = 1) {
  v1::OcsFeed feed;
  feed.set_agent_address(address);
  feed.set_feed_name("f");
  feed.set_record(true);
  v1::Block* b = feed.add_blocks();
  b->set_block_name("b");
  v1::Column* c = b->add_columns();
  c->set_name("v");
  for (int i = 0; i < rows; ++i) {
    b->add_timestamps(1700000000.0 + i);
    c->mutable_doubles()->add_values(0.5 + i);
  }
  return feed;
}

// One block of `rows` timestamps and one bool column "v".
v1::OcsFeed BoolFeed(const std::string& address, int rows) {
  v1::OcsFeed feed;
  feed.set_agent_address(address);
  feed.set_feed_name("f");
  feed.set_record(true);
  v1::Block* b = feed.add_blocks();
  b->set_block_name("b");
  v1::Column* c = b->add_columns();
  c->set_name("v");
  for (int i = 0; i < rows; ++i) {
    b->add_timestamps(1700000000.0 + i * 0.001);
    c->mutable_bools()->add_values(i % 2 == 0);
  }
  return feed;
}

// ------------------------------------------------------------------ the rows

struct Ctx {
  Influxd* influxd;
  PublisherHandle* pub;
  v1::Publisher::Stub& stub() { return *pub->stub; }
};

struct Row {
  std::string name;     // also the measurement h_<name>; listed in the doc
  std::string klass;    // class of bad input
  std::string example;  // what is sent, in short
  std::function<grpc::Status(Ctx&)> call;
  StatusCode code;
  std::string message;  // a substring of the status message
  int64_t lands = 0;    // points of h_<name> that must land
};

grpc::Status DoWrite(Ctx& c, const v1::WriteRequest& r, v1::WriteResponse* out = nullptr) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  v1::WriteResponse response;
  grpc::Status s = c.stub().Write(&context, r, &response);
  if (out != nullptr) *out = response;
  return s;
}

grpc::Status DoLines(Ctx& c, const std::string& lines,
                     v1::Precision precision = v1::PRECISION_NANOSECONDS) {
  v1::WriteLinesRequest r;
  r.set_lines(lines);
  r.set_precision(precision);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  v1::WriteResponse response;
  return c.stub().WriteLines(&context, r, &response);
}

grpc::Status DoIngest(Ctx& c, const v1::IngestFeedRequest& r) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  v1::WriteResponse response;
  return c.stub().IngestFeed(&context, r, &response);
}

grpc::Status DoIngestFeed(Ctx& c, const v1::OcsFeed& feed) {
  v1::IngestFeedRequest r;
  *r.add_feeds() = feed;
  return DoIngest(c, r);
}

grpc::Status DoStream(Ctx& c, const std::vector<v1::WriteStreamRequest>& messages) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  v1::WriteResponse response;
  auto writer = c.stub().WriteStream(&context, &response);
  for (const auto& m : messages) {
    if (!writer->Write(m)) break;  // the server ended the stream
  }
  writer->WritesDone();
  return writer->Finish();
}

// Raw bytes to a method, as a client with another (or no) schema sends them.
grpc::Status DoRaw(Ctx& c, const std::string& method, const std::string& bytes) {
  grpc::GenericStub generic(c.pub->channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status result;
  bool done = false;
  std::mutex mu;
  std::condition_variable cv;
  generic.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      result = s;
                      done = true;
                      cv.notify_one();
                    });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, std::chrono::seconds(40), [&] { return done; });
  if (!done) return grpc::Status(StatusCode::UNKNOWN, "no answer to the raw call");
  return result;
}

// Protobuf wire helpers for the raw rows.
std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Len(int field, const std::string& body) {
  return Varint(static_cast<uint64_t>(field) << 3 | 2) + Varint(body.size()) + body;
}

std::vector<Row> Rows() {
  std::vector<Row> rows;
  auto add = [&](Row r) { rows.push_back(std::move(r)); };
  const std::string big(64 * 1024 + 1, 'x');

  // ---- wrong types
  add({"wire_type_mismatch", "wrong types",
       "Write bytes with field 1 (points) sent as a varint",
       [](Ctx& c) {
         return DoRaw(c, "/ocs.influx.v1.Publisher/Write", std::string("\x08\x01", 2));
       },
       StatusCode::OK, "", 0});
  add({"truncated_protobuf", "wrong types",
       "Write bytes whose length-delimited field runs past the end",
       [](Ctx& c) {
         return DoRaw(c, "/ocs.influx.v1.Publisher/Write", std::string("\x0a\x05\x0a\x01", 4));
       },
       StatusCode::INTERNAL, "", 0});
  add({"uint_over_int64", "wrong types", "uint_value 2^63 (InfluxDB 1.x has no unsigned)",
       [](Ctx& c) {
         v1::WriteRequest r;
         GoodPoint(&r, "h_uint_over_int64");
         AddField(AddPoint(&r, "h_uint_over_int64", kT0 + 1), "u")
             ->set_uint_value(1ull << 63);
         return DoWrite(c, r);
       },
       StatusCode::INVALID_ARGUMENT, "point 1 (measurement \"h_uint_over_int64\"): field \"u\": "
                                     "unsigned value 9223372036854775808 does not fit",
       0});
  add({"lines_bad_value", "wrong types", "WriteLines `m v=abc`",
       [](Ctx& c) { return DoLines(c, "h_lines_bad_value v=1i 1\nh_lines_bad_value v=abc 2\n"); },
       StatusCode::INVALID_ARGUMENT, "line 2, column 21: invalid field value \"abc\"", 0});
  add({"lines_int_overflow", "wrong types", "WriteLines `v=9223372036854775808i`",
       [](Ctx& c) { return DoLines(c, "h_lines_int_overflow v=9223372036854775808i 1"); },
       StatusCode::INVALID_ARGUMENT, "out of range", 0});
  add({"invalid_utf8_string", "wrong types",
       "Write bytes with a measurement of invalid UTF-8 (proto3 string)",
       [](Ctx& c) {
         std::string point = Len(1, "h_invalid_utf8\xff") +
                             Len(3, Len(1, "v") + Len(2, std::string("\x10\x01", 2)));
         return DoRaw(c, "/ocs.influx.v1.Publisher/Write", Len(1, point));
       },
       StatusCode::INTERNAL, "", 0});

  // ---- missing keys
  add({"missing_measurement", "missing keys", "a point without measurement",
       [](Ctx& c) {
         v1::WriteRequest r;
         GoodPoint(&r, "h_missing_measurement");
         GoodPoint(&r, "", 1);
         return DoWrite(c, r);
       },
       StatusCode::INVALID_ARGUMENT, "point 1 (measurement \"\"): measurement is empty", 0});
  add({"missing_fields", "missing keys", "a point without fields",
       [](Ctx& c) {
         v1::WriteRequest r;
         GoodPoint(&r, "h_missing_fields");
         AddPoint(&r, "h_missing_fields", kT0 + 1);
         return DoWrite(c, r);
       },
       StatusCode::INVALID_ARGUMENT, "a point needs at least one field", 0});
  add({"null_value", "missing keys", "a field whose value is unset (null): dropped by rule",
       [](Ctx& c) {
         v1::WriteRequest r;
         v1::Point* p = GoodPoint(&r, "h_null_value");
         AddField(p, "n");  // no value set
         AddField(AddPoint(&r, "h_null_value", kT0 + 1), "n");
         return DoWrite(c, r);
       },
       StatusCode::OK, "", 1});
  add({"lines_missing_fields", "missing keys", "WriteLines `m 123`",
       [](Ctx& c) { return DoLines(c, "h_lines_missing_fields 123"); },
       StatusCode::INVALID_ARGUMENT, "line 1, column ", 0});
  add({"feed_missing_agent_address", "missing keys", "IngestFeed without agent_address",
       [](Ctx& c) { return DoIngestFeed(c, Feed("")); },
       StatusCode::INVALID_ARGUMENT, "agent_address: measurement is empty", 0});
  add({"feed_missing_feed_name", "missing keys", "IngestFeed without feed_name",
       [](Ctx& c) {
         v1::OcsFeed f = Feed("h_feed_missing_feed_name");
         f.clear_feed_name();
         return DoIngestFeed(c, f);
       },
       StatusCode::INVALID_ARGUMENT, "feed_name: tag value is empty", 0});

  // ---- huge strings and messages
  add({"string_over_64k", "huge strings", "a string field of 64 KiB + 1",
       [big](Ctx& c) {
         v1::WriteRequest r;
         GoodPoint(&r, "h_string_over_64k");
         AddField(AddPoint(&r, "h_string_over_64k", kT0 + 1), "s")->set_string_value(big);
         return DoWrite(c, r);
       },
       StatusCode::INVALID_ARGUMENT, "string value of 65537 bytes is over the limit of 65536",
       0});
  add({"lines_string_over_64k", "huge strings", "WriteLines with a 64 KiB + 1 string",
       [big](Ctx& c) {
         return DoLines(c, absl::StrCat("h_lines_string_over_64k v=1i 1\n"
                                        "h_lines_string_over_64k s=\"", big, "\" 2"));
       },
       StatusCode::INVALID_ARGUMENT, "line 2, column ", 0});
  add({"feed_string_over_64k", "huge strings", "IngestFeed with a 64 KiB + 1 string value",
       [big](Ctx& c) {
         v1::OcsFeed f = Feed("h_feed_string_over_64k", 2);
         v1::Column* s = f.mutable_blocks(0)->add_columns();
         s->set_name("s");
         s->mutable_strings()->add_values("ok");
         s->mutable_strings()->add_values(big);
         return DoIngestFeed(c, f);
       },
       StatusCode::INVALID_ARGUMENT, "string value of 65537 bytes is over the limit", 0});
  add({"huge_measurement_name", "huge strings", "a 1 MiB measurement name",
       [](Ctx& c) {
         v1::WriteRequest r;
         GoodPoint(&r, std::string(1 << 20, 'm'));
         return DoWrite(c, r);
       },
       // InfluxDB refuses a series key over 65535 bytes: refused here, with
       // the reason, rather than spooled and dead-lettered.
       StatusCode::INVALID_ARGUMENT,
       "measurement of 1048576 bytes is over InfluxDB's limit of 65535", 0});
  add({"lines_huge_tag_value", "huge strings", "WriteLines with a 70,000-byte tag value",
       [](Ctx& c) {
         return DoLines(c, absl::StrCat("h_lines_huge_tag_value v=1i 1\n"
                                        "h_lines_huge_tag_value,t=", std::string(70000, 't'),
                                        " v=1i 2"));
       },
       StatusCode::INVALID_ARGUMENT,
       "line 2, tag \"t\": tag value of 70000 bytes is over InfluxDB's limit of 65535", 0});
  // The amplification: about 900 KB of publication asking for 100 GB
  // of line protocol. Refused at once; the next request lands (the loop's
  // good Write after every row).
  add({"feed_amplification", "amplification",
       "IngestFeed: 400 kB agent_address, 250,000 timestamps, one bool column",
       [](Ctx& c) {
         v1::OcsFeed f = BoolFeed(std::string(400000, 'h'), 250000);
         absl::Time t0 = absl::Now();
         grpc::Status s = DoIngestFeed(c, f);
         EXPECT_LT(absl::Now() - t0, absl::Seconds(1));
         return s;
       },
       StatusCode::INVALID_ARGUMENT,
       "agent_address: measurement of 400000 bytes is over InfluxDB's limit of 65535", 0});
  add({"feed_amplification_legal_names", "amplification",
       "IngestFeed: 60 kB agent_address (legal), 250,000 timestamps, one bool column",
       [](Ctx& c) {
         v1::OcsFeed f = BoolFeed("h_feed_amplification_legal_names" + std::string(60000, 'h'),
                                  250000);
         absl::Time t0 = absl::Now();
         grpc::Status s = DoIngestFeed(c, f);
         EXPECT_LT(absl::Now() - t0, absl::Seconds(1));
         return s;
       },
       StatusCode::INVALID_ARGUMENT,
       "bytes would pass the limit of 134217728 bytes (128 MiB) per request", 0});
  add({"feed_amplification_in_more_feeds", "amplification",
       "IngestFeed: a good feed, then 30 feeds of 6 MB of lines each",
       [](Ctx& c) {
         v1::IngestFeedRequest r;
         *r.add_feeds() = Feed("h_feed_amplification_in_more_feeds", 3);
         v1::OcsFeed big = BoolFeed(std::string(60000, 'h'), 100);
         for (int i = 0; i < 30; ++i) *r.add_feeds() = big;
         return DoIngest(c, r);
       },
       StatusCode::INVALID_ARGUMENT,
       "feeds[23]: line protocol of up to 6003", 0});
  add({"multi_mb_request", "multi-MB requests", "an 8 MiB Write of 2,000 points, each 4 KiB",
       [](Ctx& c) {
         v1::WriteRequest r;
         for (int i = 0; i < 2000; ++i) {
           GoodPoint(&r, "h_multi_mb_request", i);
           AddField(r.mutable_points(i), "s")->set_string_value(std::string(4096, 'a' + i % 26));
         }
         return DoWrite(c, r);
       },
       StatusCode::OK, "", 2000});
  add({"multi_mb_request_last_bad", "multi-MB requests",
       "the same 8 MiB Write with its last point invalid",
       [](Ctx& c) {
         v1::WriteRequest r;
         for (int i = 0; i < 2000; ++i) {
           GoodPoint(&r, "h_multi_mb_request_last_bad", i);
           AddField(r.mutable_points(i), "s")->set_string_value(std::string(4096, 'b'));
         }
         AddField(r.mutable_points(1999), "time")->set_int_value(1);
         return DoWrite(c, r);
       },
       StatusCode::INVALID_ARGUMENT, "point 1999", 0});
  add({"over_max_receive_size", "oversized messages",
       "a 17 MiB Write (the server's max receive size is 16 MiB)",
       [](Ctx& c) {
         v1::WriteRequest r;
         for (int i = 0; i < 17; ++i) {
           GoodPoint(&r, "h_over_max_receive_size", i);
           AddField(r.mutable_points(i), "s")->set_string_value(std::string(1 << 20, 'z'));
         }
         return DoWrite(c, r);
       },
       StatusCode::RESOURCE_EXHAUSTED, "Received message larger than max", 0});
  add({"stream_over_max_receive_size", "oversized messages",
       "a WriteStream whose second message is 17 MiB",
       [](Ctx& c) {
         auto accepted = [&c] {
           grpc::ClientContext context;
           v1::Status status;
           c.stub().GetStatus(&context, v1::GetStatusRequest(), &status);
           return status.points_accepted();
         };
         const uint64_t before = accepted();
         grpc::ClientContext context;
         context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
         v1::WriteResponse response;
         auto writer = c.stub().WriteStream(&context, &response);
         v1::WriteStreamRequest m;
         m.mutable_lines()->set_lines("h_stream_over_max_receive_size v=1i 1");
         EXPECT_TRUE(writer->Write(m));
         // Let the first message be accepted before the oversized one comes.
         absl::Time deadline = absl::Now() + absl::Seconds(10);
         while (accepted() == before && absl::Now() < deadline) {
           absl::SleepFor(absl::Milliseconds(10));
         }
         m.mutable_lines()->set_lines(std::string(17 << 20, '#'));
         writer->Write(m);
         writer->WritesDone();
         return writer->Finish();
       },
       // The first message was accepted on its own before the second came.
       StatusCode::RESOURCE_EXHAUSTED, "Received message larger than max", 1});

  // ---- deep nesting
  add({"deep_nesting", "deep nesting", "Write bytes: an unknown field of 200 nested groups",
       [](Ctx& c) {
         std::string bytes(200, '\x7b');  // field 15, start group
         bytes.append(200, '\x7c');       // field 15, end group
         return DoRaw(c, "/ocs.influx.v1.Publisher/Write", bytes);
       },
       StatusCode::INTERNAL, "", 0});

  // ---- NaN / Inf
  add({"nan_inf_fields", "NaN/Inf", "double fields NaN, +Inf, -Inf next to a good one",
       [](Ctx& c) {
         v1::WriteRequest r;
         v1::Point* p = GoodPoint(&r, "h_nan_inf_fields");
         AddField(p, "nan")->set_double_value(std::nan(""));
         AddField(p, "inf")->set_double_value(std::numeric_limits<double>::infinity());
         v1::Point* q = AddPoint(&r, "h_nan_inf_fields", kT0 + 1);
         AddField(q, "ninf")->set_double_value(-std::numeric_limits<double>::infinity());
         return DoWrite(c, r);  // 1 point lands (v only), the other is left without fields
       },
       StatusCode::OK, "", 1});
  add({"lines_inf", "NaN/Inf", "WriteLines `v=inf`",
       [](Ctx& c) { return DoLines(c, "h_lines_inf v=inf 1"); },
       StatusCode::INVALID_ARGUMENT, "line 1", 0});
  add({"lines_nan", "NaN/Inf", "WriteLines `v=NaN`",
       [](Ctx& c) { return DoLines(c, "h_lines_nan v=NaN 1"); },
       StatusCode::INVALID_ARGUMENT, "line 1", 0});
  add({"feed_nan_inf", "NaN/Inf", "IngestFeed column [0.5, NaN, Inf]",
       [](Ctx& c) {
         v1::OcsFeed f = Feed("h_feed_nan_inf", 3);
         auto* values = f.mutable_blocks(0)->mutable_columns(0)->mutable_doubles();
         values->set_values(1, std::nan(""));
         values->set_values(2, std::numeric_limits<double>::infinity());
         return DoIngestFeed(c, f);
       },
       StatusCode::OK, "", 1});

  // ---- overflowing times
  add({"timestamp_int64_max", "overflowing times", "timestamp_ns INT64_MAX",
       [](Ctx& c) {
         v1::WriteRequest r;
         GoodPoint(&r, "h_timestamp_int64_max");
         GoodPoint(&r, "h_timestamp_int64_max")->set_timestamp_ns(
             std::numeric_limits<int64_t>::max());
         return DoWrite(c, r);
       },
       StatusCode::INVALID_ARGUMENT, "timestamp_ns: 9223372036854775807 is outside", 0});
  add({"lines_timestamp_overflow", "overflowing times", "WriteLines `... 9223372036854775808`",
       [](Ctx& c) { return DoLines(c, "h_lines_timestamp_overflow v=1i 9223372036854775808"); },
       StatusCode::INVALID_ARGUMENT, "invalid timestamp", 0});
  add({"lines_seconds_overflow", "overflowing times",
       "WriteLines precision s, time 10^13 (overflows in ns)",
       [](Ctx& c) {
         return DoLines(c, "h_lines_seconds_overflow v=1i 10000000000000", v1::PRECISION_SECONDS);
       },
       StatusCode::INVALID_ARGUMENT, "is outside InfluxDB's range", 0});
  add({"feed_time_overflow", "overflowing times", "IngestFeed timestamps [1e300, t]",
       [](Ctx& c) {
         v1::OcsFeed f = Feed("h_feed_time_overflow", 2);
         f.mutable_blocks(0)->set_timestamps(0, 1e300);
         return DoIngestFeed(c, f);  // dropped and counted: timestamp_overflow
       },
       StatusCode::OK, "", 1});

  // ---- invalid names
  auto name_row = [&](const std::string& name, const std::string& example,
                      std::function<void(v1::WriteRequest*)> make,
                      const std::string& message) {
    add({name, "invalid names", example,
         [make](Ctx& c) {
           v1::WriteRequest r;
           make(&r);
           return DoWrite(c, r);
         },
         StatusCode::INVALID_ARGUMENT, message, 0});
  };
  name_row("measurement_time", "measurement `time`",
           [](v1::WriteRequest* r) { GoodPoint(r, "h_measurement_time"); GoodPoint(r, "time", 1); },
           "measurement \"time\" is reserved");
  name_row("tag_key_field", "tag key `_field`",
           [](v1::WriteRequest* r) {
             v1::Tag* t = GoodPoint(r, "h_tag_key_field")->add_tags();
             t->set_key("_field");
             t->set_value("x");
           },
           "tag key \"_field\" is reserved by InfluxDB");
  name_row("field_key_measurement", "field key `_measurement`",
           [](v1::WriteRequest* r) {
             AddField(GoodPoint(r, "h_field_key_measurement"), "_measurement")->set_int_value(1);
           },
           "field key \"_measurement\" is reserved by InfluxDB");
  name_row("field_key_time", "field key `time`",
           [](v1::WriteRequest* r) {
             AddField(GoodPoint(r, "h_field_key_time"), "time")->set_int_value(1);
           },
           "field key \"time\" is reserved by InfluxDB");
  name_row("empty_field_key", "an empty field key",
           [](v1::WriteRequest* r) { AddField(GoodPoint(r, "h_empty_field_key"), "")->set_int_value(1); },
           "field key is empty");
  name_row("empty_tag_key", "an empty tag key",
           [](v1::WriteRequest* r) {
             v1::Tag* t = GoodPoint(r, "h_empty_tag_key")->add_tags();
             t->set_value("x");
           },
           "tag key is empty");
  name_row("newline_in_measurement", "measurement `h\\nx`",
           [](v1::WriteRequest* r) { GoodPoint(r, "h_newline_in_measurement\nx"); },
           "measurement contains a newline");
  name_row("newline_in_tag_value", "tag value `a\\nb`",
           [](v1::WriteRequest* r) {
             v1::Tag* t = GoodPoint(r, "h_newline_in_tag_value")->add_tags();
             t->set_key("k");
             t->set_value("a\nb");
           },
           "tag value contains a newline");
  name_row("trailing_backslash_field_key", "field key `v\\`",
           [](v1::WriteRequest* r) {
             AddField(GoodPoint(r, "h_trailing_backslash_field_key"), "w\\")->set_int_value(1);
           },
           "field key has a backslash at its end");
  name_row("measurement_hash", "measurement `#h` (a comment to InfluxDB)",
           [](v1::WriteRequest* r) { GoodPoint(r, "#h_measurement_hash"); },
           "measurement starts with '#'");
  add({"lines_reserved_field", "invalid names", "WriteLines `m time=1i`",
       [](Ctx& c) { return DoLines(c, "h_lines_reserved_field v=1i,time=1i 1"); },
       StatusCode::INVALID_ARGUMENT, "line 1, field \"time\": field key \"time\" is reserved", 0});
  add({"lines_hash_is_comment", "invalid names",
       "WriteLines `#h_lines_hash_is_comment v=1i` (a comment: skipped)",
       [](Ctx& c) { return DoLines(c, "#h_lines_hash_is_comment v=1i 1"); },
       StatusCode::OK, "", 0});
  add({"feed_newline_in_address", "invalid names", "IngestFeed agent_address with a newline",
       [](Ctx& c) { return DoIngestFeed(c, Feed("h_feed_newline_in_address\nx")); },
       StatusCode::INVALID_ARGUMENT, "agent_address: measurement contains a newline", 0});
  add({"feed_reserved_column", "invalid names",
       "IngestFeed column `time` next to `v` (dropped by rule, as a field)",
       [](Ctx& c) {
         v1::OcsFeed f = Feed("h_feed_reserved_column");
         v1::Column* t = f.mutable_blocks(0)->add_columns();
         t->set_name("time");
         t->mutable_ints()->add_values(1);
         return DoIngestFeed(c, f);
       },
       StatusCode::OK, "", 1});

  // ---- mismatched column lengths
  add({"feed_mismatched_columns", "mismatched column lengths",
       "IngestFeed: 2 timestamps, a column of 1 value",
       [](Ctx& c) {
         v1::OcsFeed f = Feed("h_feed_mismatched_columns", 2);
         v1::Column* w = f.mutable_blocks(0)->add_columns();
         w->set_name("w");
         w->mutable_ints()->add_values(1);
         return DoIngestFeed(c, f);
       },
       StatusCode::INVALID_ARGUMENT, "column \"w\" has 1 values for 2 timestamps", 0});
  add({"feed_bad_more_feeds", "mismatched column lengths",
       "IngestFeed: a good feed, then a bad one",
       [](Ctx& c) {
         v1::IngestFeedRequest r;
         *r.add_feeds() = Feed("h_feed_bad_more_feeds", 3);
         v1::OcsFeed bad = Feed("h_feed_bad_more_feeds", 2);
         bad.mutable_blocks(0)->mutable_columns(0)->mutable_doubles()->mutable_values()->RemoveLast();
         *r.add_feeds() = bad;
         return DoIngest(c, r);
       },
       StatusCode::INVALID_ARGUMENT, "feeds[1]: block \"b\": column \"v\" has 1 values", 0});
  add({"feed_column_without_values", "mismatched column lengths",
       "IngestFeed: a column with no value type set, 1 timestamp",
       [](Ctx& c) {
         v1::OcsFeed f = Feed("h_feed_column_without_values");
         f.mutable_blocks(0)->add_columns()->set_name("w");
         return DoIngestFeed(c, f);
       },
       StatusCode::INVALID_ARGUMENT, "column \"w\" has 0 values for 1 timestamps", 0});

  // ---- unknown methods, empty messages, precision
  add({"unknown_method", "unknown ops", "a call to /ocs.influx.v1.Publisher/Explode",
       [](Ctx& c) { return DoRaw(c, "/ocs.influx.v1.Publisher/Explode", ""); },
       StatusCode::UNIMPLEMENTED, "", 0});
  add({"stream_empty_message", "empty WriteStream message",
       "WriteStream: a message with neither points nor lines",
       [](Ctx& c) {
         std::vector<v1::WriteStreamRequest> m(2);
         m[1].mutable_lines()->set_lines("h_stream_empty_message v=1i 1");
         return DoStream(c, m);
       },
       StatusCode::INVALID_ARGUMENT,
       "message 0: empty message: set points or lines (0 messages, 0 points before it", 0});
  add({"stream_bad_after_good", "empty WriteStream message",
       "WriteStream: 2 good messages, then an empty one",
       [](Ctx& c) {
         std::vector<v1::WriteStreamRequest> m(3);
         m[0].mutable_lines()->set_lines("h_stream_bad_after_good v=1i 1");
         GoodPoint(m[1].mutable_points(), "h_stream_bad_after_good", 1);
         return DoStream(c, m);
       },
       // Each stream message is accepted on its own (publisher.proto).
       StatusCode::INVALID_ARGUMENT, "message 2: empty message: set points or lines "
                                     "(2 messages, 2 points before it were accepted)",
       2});
  add({"unknown_precision", "unknown precision", "WriteLines precision = 99",
       [](Ctx& c) {
         return DoLines(c, "h_unknown_precision v=1i 1700000000", static_cast<v1::Precision>(99));
       },
       StatusCode::INVALID_ARGUMENT, "precision: unknown value 99", 0});
  add({"stream_unknown_precision", "unknown precision",
       "WriteStream lines with precision = -1",
       [](Ctx& c) {
         std::vector<v1::WriteStreamRequest> m(1);
         m[0].mutable_lines()->set_lines("h_stream_unknown_precision v=1i 1700000000");
         m[0].mutable_lines()->set_precision(static_cast<v1::Precision>(-1));
         return DoStream(c, m);
       },
       StatusCode::INVALID_ARGUMENT, "message 0: precision: unknown value -1", 0});
  add({"unspecified_precision_is_ns", "unknown precision",
       "WriteLines precision unset (PRECISION_UNSPECIFIED: nanoseconds)",
       [](Ctx& c) {
         return DoLines(c, "h_unspecified_precision_is_ns v=1i 1700000000000000000",
                        v1::PRECISION_UNSPECIFIED);
       },
       StatusCode::OK, "", 1});

  // ---- recording state
  add({"write_not_recording", "not recording", "Write while the record process is stopped",
       [](Ctx& c) {
         {
           grpc::ClientContext context;
           v1::RecordingStatus status;
           grpc::Status s = c.stub().StopRecording(&context, v1::StopRecordingRequest(), &status);
           EXPECT_TRUE(s.ok()) << s.error_message();
         }
         v1::WriteRequest r;
         GoodPoint(&r, "h_write_not_recording");
         grpc::Status result = DoWrite(c, r);
         grpc::Status lines = DoLines(c, "h_write_not_recording v=1i 1");
         EXPECT_EQ(lines.error_code(), StatusCode::FAILED_PRECONDITION) << lines.error_message();
         v1::IngestFeedRequest feed;
         *feed.add_feeds() = Feed("h_write_not_recording");
         grpc::Status ingest = DoIngest(c, feed);
         EXPECT_EQ(ingest.error_code(), StatusCode::FAILED_PRECONDITION) << ingest.error_message();
         // Start again (the stop may still be finishing): bounded.
         absl::Time deadline = absl::Now() + absl::Seconds(20);
         grpc::Status started;
         do {
           grpc::ClientContext context;
           v1::RecordingStatus status;
           started = c.stub().StartRecording(&context, v1::StartRecordingRequest(), &status);
           if (started.ok()) break;
           absl::SleepFor(absl::Milliseconds(50));
         } while (absl::Now() < deadline);
         EXPECT_TRUE(started.ok()) << started.error_message();
         return result;
       },
       StatusCode::FAILED_PRECONDITION, "not recording (status ",
       0});
  add({"start_while_running", "not recording", "StartRecording while running",
       [](Ctx& c) {
         grpc::ClientContext context;
         v1::RecordingStatus status;
         return c.stub().StartRecording(&context, v1::StartRecordingRequest(), &status);
       },
       StatusCode::FAILED_PRECONDITION, "Operation \"record\" already in progress", 0});
  add({"flush_timeout_overflow", "overflowing times",
       "Flush with timeout -10^10 s against a publisher whose InfluxDB is down",
       [](Ctx& c) {
         // A second publisher whose InfluxDB never answers, with one point
         // waiting: a negative timeout must answer at once, not complete.
         PublisherSetup setup;
         setup.spool_dir = MakeTempDir("dead-influx-spool");
         setup.influx_port = 1;  // nothing listens on port 1 of 127.0.0.1
         auto dead = StartPublisher(setup);
         EXPECT_TRUE(dead.ok()) << dead.status();
         if (!dead.ok()) return grpc::Status(StatusCode::UNKNOWN, "no second publisher");
         {
           v1::WriteRequest r;
           GoodPoint(&r, "h_flush_timeout_overflow");
           grpc::ClientContext context;
           v1::WriteResponse response;
           grpc::Status s = dead->stub->Write(&context, r, &response);
           EXPECT_TRUE(s.ok()) << s.error_message();
         }
         v1::FlushRequest request;
         request.mutable_timeout()->set_seconds(-10000000000LL);
         grpc::ClientContext context;
         context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
         v1::FlushResponse response;
         absl::Time t0 = absl::Now();
         grpc::Status s = dead->stub->Flush(&context, request, &response);
         if (s.ok()) {
           EXPECT_FALSE(response.complete());
           EXPECT_EQ(response.points_pending(), 1u);
           EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
         }
         dead->server->Shutdown(absl::ZeroDuration());
         return s;
       },
       StatusCode::OK, "", 0});
  return rows;
}

const char* CodeName(StatusCode code) {
  switch (code) {
    case StatusCode::OK: return "OK";
    case StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case StatusCode::INTERNAL: return "INTERNAL";
    case StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    default: return "OTHER";
  }
}

class GrpcHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto stack = StartInfluxdAndPublisher();
    ASSERT_TRUE(stack.ok()) << stack.status();
    influxd_ = std::move(stack->influxd);
    pub_ = std::move(stack->pub);
  }

  std::unique_ptr<Influxd> influxd_;
  PublisherHandle pub_;
};

TEST_F(GrpcHostileTest, EveryRowGetsItsAnswerAndNothingOfARefusedRequestLands) {
  Ctx ctx{influxd_.get(), &pub_};
  std::vector<Row> rows = Rows();
  int64_t expected_accepted = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    SCOPED_TRACE(row.name);
    grpc::Status s = row.call(ctx);
    std::printf("HOSTILE-ROW grpc | %s | %s | %s | %s %s; lands %lld\n", row.name.c_str(),
                row.klass.c_str(), row.example.c_str(), CodeName(row.code),
                row.message.c_str(), static_cast<long long>(row.lands));
    EXPECT_EQ(s.error_code(), row.code)
        << row.name << ": got " << CodeName(s.error_code()) << " " << s.error_message();
    EXPECT_THAT(s.error_message(), ::testing::HasSubstr(row.message)) << row.name;
    // A good request right after still works.
    v1::WriteRequest good;
    GoodPoint(&good, "after", static_cast<int>(i));
    grpc::Status after = DoWrite(ctx, good);
    EXPECT_TRUE(after.ok()) << "after " << row.name << ": " << after.error_message();
  }
  for (const Row& row : rows) expected_accepted += row.lands;
  expected_accepted += static_cast<int64_t>(rows.size());  // the "after" points

  ASSERT_TRUE(FlushAll(*pub_.stub, absl::Seconds(60)));
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(CountPoints(*influxd_, "ocs_feeds", "h_" + row.name, "v"), row.lands)
        << "points of h_" << row.name;
  }
  EXPECT_EQ(CountPoints(*influxd_, "ocs_feeds", "after", "v"),
            static_cast<int64_t>(rows.size()));
  // Only the measurements the rows allow exist: nothing of a refused
  // request, under any name, reached InfluxDB.
  auto measurements = QueryRows(*influxd_, "ocs_feeds", "SHOW MEASUREMENTS");
  ASSERT_TRUE(measurements.ok()) << measurements.status();
  std::set<std::string> allowed = {"after"};
  for (const Row& row : rows) {
    if (row.lands > 0) allowed.insert("h_" + row.name);
  }
  for (const auto& m : *measurements) {
    EXPECT_TRUE(allowed.count(m.items[0].string_value))
        << "unexpected measurement " << m.items[0].string_value.substr(0, 80);
  }
  grpc::ClientContext context;
  v1::Status status;
  ASSERT_TRUE(pub_.stub->GetStatus(&context, v1::GetStatusRequest(), &status).ok());
  EXPECT_EQ(static_cast<int64_t>(status.points_accepted()), expected_accepted);
  EXPECT_EQ(status.points_dead_lettered(), 0u) << "names InfluxDB would refuse are refused";
}

// A legitimate large feed: 1,000,000 small ints in one IngestFeed (about
// 10 MB of protobuf, 60 MB of line protocol) is encoded in bounded chunks,
// spooled as many records and lands whole and in order: every timestamp
// comes twice, half a million rows apart, and InfluxDB keeps the last
// value written, so only the second half may be left.
TEST_F(GrpcHostileTest, ALargeFeedLandsWholeAndInOrder) {
  constexpr int kRows = 1000000;
  constexpr int kHalf = kRows / 2;
  v1::OcsFeed feed;
  feed.set_agent_address("h_large_feed");
  feed.set_feed_name("f");
  feed.set_record(true);
  v1::Block* b = feed.add_blocks();
  b->set_block_name("b");
  v1::Column* c = b->add_columns();
  c->set_name("v");
  for (int i = 0; i < kRows; ++i) {
    b->add_timestamps(1700000000.0 + (i % kHalf) * 0.001);
    c->mutable_ints()->add_values(i);
  }
  ASSERT_LT(feed.ByteSizeLong(), 16u << 20);
  Ctx ctx{influxd_.get(), &pub_};
  grpc::Status s = DoIngestFeed(ctx, feed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::WriteRequest good;
  GoodPoint(&good, "after");
  s = DoWrite(ctx, good);
  ASSERT_TRUE(s.ok()) << s.error_message();

  ASSERT_TRUE(FlushAll(*pub_.stub, absl::Seconds(120)));
  EXPECT_EQ(CountPoints(*influxd_, "ocs_feeds", "h_large_feed", "v"), kHalf);
  auto rows = QueryRows(*influxd_, "ocs_feeds",
                        "SELECT min(\"v\"), max(\"v\") FROM \"h_large_feed\"");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].items[1].int_value, kHalf) << "a first-half row was written last";
  EXPECT_EQ((*rows)[0].items[2].int_value, kRows - 1);
  EXPECT_EQ(CountPoints(*influxd_, "ocs_feeds", "after", "v"), 1);

  grpc::ClientContext context;
  v1::Status status;
  ASSERT_TRUE(pub_.stub->GetStatus(&context, v1::GetStatusRequest(), &status).ok());
  EXPECT_EQ(status.points_accepted(), static_cast<uint64_t>(kRows) + 1);
  EXPECT_GE(status.writes().batches_sent(), static_cast<uint64_t>(kRows / 5000));
}

}  // namespace
}  // namespace ocs_influx::testing
