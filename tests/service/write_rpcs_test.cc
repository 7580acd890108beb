// Points written through each RPC come back from InfluxDB with the exact
// values, types, tags and nanosecond timestamps.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/service/publisher_fixture.h"

namespace ocs_influx::testing {
namespace {

namespace v1 = ocs::influx::v1;
using ::testing::HasSubstr;

class WriteRpcsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto stack = StartInfluxdAndPublisher();
    ASSERT_TRUE(stack.ok()) << stack.status();
    influxd_ = std::move(stack->influxd);
    pub_ = std::move(stack->pub);
  }

  std::vector<core::DynamicValue> Rows(const std::string& q) {
    auto rows = QueryRows(*influxd_, "ocs_feeds", q);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : std::vector<core::DynamicValue>{};
  }

  std::unique_ptr<Influxd> influxd_;
  PublisherHandle pub_;
};

TEST_F(WriteRpcsTest, WriteTypedPointsLandExactly) {
  v1::WriteRequest request;
  auto* p = request.add_points();
  p->set_measurement("cryo stat,us");
  auto* tag = p->add_tags();
  tag->set_key("sensor id");
  tag->set_value("A=1,b 2");
  auto add = [&](const char* key) {
    auto* f = p->add_fields();
    f->set_key(key);
    return f->mutable_value();
  };
  add("temp")->set_double_value(0.30000000000000004);
  add("count")->set_int_value(-9223372036854775807LL);
  add("flag")->set_bool_value(true);
  add("note")->set_string_value("say \"hi\" \\");
  add("u")->set_uint_value(42);
  p->set_timestamp_ns(1615389657290489344);
  grpc::ClientContext context;
  v1::WriteResponse response;
  grpc::Status s = pub_.stub->Write(&context, request, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.points_accepted(), 1u);
  ASSERT_TRUE(FlushAll(*pub_.stub, absl::Seconds(20)));

  auto rows = Rows("SELECT \"temp\", \"count\", \"flag\", \"note\", \"u\", "
                   "\"sensor id\" FROM \"cryo stat,us\"");
  ASSERT_EQ(rows.size(), 1u);
  const auto& r = rows[0].items;
  EXPECT_EQ(r[0].int_value, 1615389657290489344);
  EXPECT_EQ(r[1].double_value, 0.30000000000000004);
  EXPECT_EQ(r[2].int_value, -9223372036854775807LL);
  EXPECT_TRUE(r[3].bool_value);
  EXPECT_EQ(r[4].string_value, "say \"hi\" \\");
  EXPECT_EQ(r[5].int_value, 42);
  EXPECT_EQ(r[6].string_value, "A=1,b 2");
}

TEST_F(WriteRpcsTest, WriteLinesAndStreamLandInOrder) {
  v1::WriteLinesRequest lines;
  lines.set_lines("m,src=lines v=1i 1000000000\nm,src=lines v=2i 2000000000\n");
  grpc::ClientContext c1;
  v1::WriteResponse r1;
  ASSERT_TRUE(pub_.stub->WriteLines(&c1, lines, &r1).ok());
  EXPECT_EQ(r1.points_accepted(), 2u);

  v1::WriteLinesRequest seconds;
  seconds.set_lines("m,src=secs v=3i 3");
  seconds.set_precision(v1::PRECISION_SECONDS);
  grpc::ClientContext c2;
  ASSERT_TRUE(pub_.stub->WriteLines(&c2, seconds, &r1).ok());

  grpc::ClientContext c3;
  v1::WriteResponse r3;
  auto writer = pub_.stub->WriteStream(&c3, &r3);
  for (int i = 0; i < 20; ++i) {
    v1::WriteStreamRequest message;
    if (i % 2 == 0) {
      message.mutable_lines()->set_lines(
          absl::StrCat("m,src=stream v=", 100 + i, "i ", (100 + i) * 1000000000LL));
    } else {
      auto* p = message.mutable_points()->add_points();
      p->set_measurement("m");
      auto* t = p->add_tags();
      t->set_key("src");
      t->set_value("stream");
      auto* f = p->add_fields();
      f->set_key("v");
      f->mutable_value()->set_int_value(100 + i);
      p->set_timestamp_ns((100 + i) * 1000000000LL);
    }
    ASSERT_TRUE(writer->Write(message));
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r3.points_accepted(), 20u);
  ASSERT_TRUE(FlushAll(*pub_.stub, absl::Seconds(20)));

  auto rows = Rows("SELECT v FROM m");
  ASSERT_EQ(rows.size(), 23u);
  EXPECT_EQ(rows[0].items[0].int_value, 1000000000);
  EXPECT_EQ(rows[2].items[0].int_value, 3000000000);
  EXPECT_EQ(rows[2].items[1].int_value, 3);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(rows[3 + i].items[1].int_value, 100 + i);
  }
}

TEST_F(WriteRpcsTest, IngestFeedLandsAsThePythonAgentWritesIt) {
  v1::IngestFeedRequest request;
  auto* feed = request.add_feeds();
  feed->set_agent_address("observatory.fake-data1");
  feed->set_feed_name("false_temperatures");
  feed->set_record(true);
  auto* block = feed->add_blocks();
  block->set_block_name("temps");
  block->add_timestamps(1615394417.3590388);
  block->add_timestamps(1615394418.3590388);
  auto* c0 = block->add_columns();
  c0->set_name("channel_00");
  c0->mutable_doubles()->add_values(0.0861292206532646);
  c0->mutable_doubles()->add_values(std::nan(""));
  auto* c1 = block->add_columns();
  c1->set_name("key1");
  c1->mutable_ints()->add_values(1);
  c1->mutable_ints()->add_values(2);
  grpc::ClientContext context;
  v1::WriteResponse response;
  ASSERT_TRUE(pub_.stub->IngestFeed(&context, request, &response).ok());
  EXPECT_EQ(response.points_accepted(), 2u);
  ASSERT_EQ(response.dropped_size(), 1);
  EXPECT_EQ(response.dropped(0).reason(), "non_finite_float");
  ASSERT_TRUE(FlushAll(*pub_.stub, absl::Seconds(20)));

  auto rows = Rows("SELECT channel_00, key1, feed FROM \"observatory.fake-data1\"");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].items[0].int_value, 1615394417359038720);
  EXPECT_EQ(rows[0].items[1].double_value, 0.0861292206532646);
  EXPECT_EQ(rows[0].items[2].int_value, 1);
  EXPECT_EQ(rows[0].items[3].string_value, "false_temperatures");
  EXPECT_EQ(rows[1].items[1].type, core::DynamicValue::Type::kNull);
  EXPECT_EQ(rows[1].items[2].int_value, 2);
}

TEST_F(WriteRpcsTest, IngestFeedBatchIsAcceptedWholeOrNotAtAll) {
  auto make = [](const std::string& name, int columns_values) {
    v1::OcsFeed feed;
    feed.set_agent_address("observatory.batch");
    feed.set_feed_name(name);
    feed.set_record(true);
    auto* block = feed.add_blocks();
    block->set_block_name("b");
    block->add_timestamps(1.0);
    auto* column = block->add_columns();
    column->set_name("x");
    for (int i = 0; i < columns_values; ++i) column->mutable_doubles()->add_values(i);
    return feed;
  };
  v1::IngestFeedRequest bad;
  *bad.add_feeds() = make("one", 1);
  *bad.add_feeds() = make("two", 1);
  *bad.add_feeds() = make("three", 2);  // 2 values for 1 timestamp
  grpc::ClientContext c1;
  v1::WriteResponse response;
  grpc::Status s = pub_.stub->IngestFeed(&c1, bad, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("feeds[2]: "));

  v1::IngestFeedRequest good;
  *good.add_feeds() = make("one", 1);
  *good.add_feeds() = make("two", 1);
  grpc::ClientContext c2;
  ASSERT_TRUE(pub_.stub->IngestFeed(&c2, good, &response).ok());
  EXPECT_EQ(response.points_accepted(), 2u);
  ASSERT_TRUE(FlushAll(*pub_.stub, absl::Seconds(20)));
  auto rows = Rows("SELECT x, feed FROM \"observatory.batch\"");
  ASSERT_EQ(rows.size(), 2u);
}

TEST_F(WriteRpcsTest, BadPointFailsWholeRequestNamingIt) {
  v1::WriteRequest request;
  for (int i = 0; i < 3; ++i) {
    auto* p = request.add_points();
    p->set_measurement("bad_request");
    auto* f = p->add_fields();
    f->set_key(i == 2 ? "time" : "v");
    f->mutable_value()->set_double_value(i);
  }
  grpc::ClientContext context;
  v1::WriteResponse response;
  grpc::Status s = pub_.stub->Write(&context, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("point 2"));
  EXPECT_THAT(s.error_message(), HasSubstr("\"time\""));

  v1::WriteLinesRequest lines;
  lines.set_lines("bad_request v=1\nbad_request v=\n");
  grpc::ClientContext c2;
  s = pub_.stub->WriteLines(&c2, lines, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("line 2, column 15"));

  ASSERT_TRUE(FlushAll(*pub_.stub, absl::Seconds(10)));
  EXPECT_EQ(CountPoints(*influxd_, "ocs_feeds", "bad_request", "v"), 0);
  grpc::ClientContext c3;
  v1::Status status;
  ASSERT_TRUE(pub_.stub->GetStatus(&c3, v1::GetStatusRequest(), &status).ok());
  EXPECT_EQ(status.points_accepted(), 0u);
}

TEST_F(WriteRpcsTest, TypeConflictGoesToDeadLetterWhileTheRestFlows) {
  v1::WriteLinesRequest first;
  first.set_lines("conflict v=1.5 1\n");
  grpc::ClientContext c1;
  v1::WriteResponse r;
  ASSERT_TRUE(pub_.stub->WriteLines(&c1, first, &r).ok());
  ASSERT_TRUE(FlushAll(*pub_.stub, absl::Seconds(20)));

  std::string batch;
  for (int i = 0; i < 100; ++i) {
    if (i == 37) {
      absl::StrAppend(&batch, "conflict v=\"text\" ", 1000 + i, "\n");
    } else {
      absl::StrAppend(&batch, "conflict v=", i, ".25 ", 1000 + i, "\n");
    }
  }
  v1::WriteLinesRequest second;
  second.set_lines(batch);
  grpc::ClientContext c2;
  ASSERT_TRUE(pub_.stub->WriteLines(&c2, second, &r).ok());
  ASSERT_TRUE(FlushAll(*pub_.stub, absl::Seconds(20)));

  EXPECT_EQ(CountPoints(*influxd_, "ocs_feeds", "conflict", "v"), 100);
  grpc::ClientContext c3;
  v1::Status status;
  ASSERT_TRUE(pub_.stub->GetStatus(&c3, v1::GetStatusRequest(), &status).ok());
  EXPECT_EQ(status.points_dead_lettered(), 1u);
  EXPECT_EQ(status.points_written(), 100u);
  std::ifstream in(status.dead_letter_file());
  ASSERT_TRUE(in) << status.dead_letter_file();
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  EXPECT_THAT(text, HasSubstr("field type conflict"));
  EXPECT_THAT(text, HasSubstr("\nconflict v=\"text\" 1037\n"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

}  // namespace
}  // namespace ocs_influx::testing
