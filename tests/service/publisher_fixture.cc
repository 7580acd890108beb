#include "tests/service/publisher_fixture.h"

#include <stdlib.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "service/influx/client.h"
#include "tests/support/influx_query.h"

namespace ocs_influx::testing {

std::string MakeTempDir(const std::string& prefix) {
  const char* base = getenv("TEST_TMPDIR");
  std::string pattern =
      absl::StrCat(base != nullptr ? base : "/tmp", "/", prefix, "-XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  char* dir = mkdtemp(buffer.data());
  return dir != nullptr ? std::string(dir) : std::string();
}

absl::StatusOr<PublisherHandle> StartPublisher(const PublisherSetup& setup) {
  server::PublisherOptions options;
  options.spool.dir = setup.spool_dir;
  options.spool.max_bytes = setup.spool_max_bytes;
  options.influx.host = "127.0.0.1";
  options.influx.port = setup.influx_port;
  options.influx.database = setup.database;
  options.influx.gzip = setup.gzip;
  options.influx.connect_timeout = absl::Seconds(2);
  options.influx.request_timeout = absl::Seconds(10);
  options.writer.batch_size = setup.batch_size;
  options.writer.flush_interval = setup.flush_interval;
  options.writer.stats_interval = setup.stats_interval;
  options.writer.max_backoff = setup.max_backoff;
  options.writer.stats_host = "test";
  options.record_at_start = setup.record_at_start;
  options.stale_after = setup.stale_after;
  auto publisher = server::Publisher::Create(std::move(options));
  if (!publisher.ok()) return publisher.status();
  server::ServerOptions server_options;
  server_options.listen = "127.0.0.1:0";
  server_options.auth_token = setup.auth_token;
  server_options.tls_cert_file = setup.tls_cert_file;
  server_options.tls_key_file = setup.tls_key_file;
  auto server = server::PublisherServer::Start(server_options, std::move(*publisher));
  if (!server.ok()) return server.status();
  PublisherHandle handle;
  handle.server = std::move(*server);
  handle.channel = grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", handle.server->port()),
      grpc::InsecureChannelCredentials());
  handle.stub = ocs::influx::v1::Publisher::NewStub(handle.channel);
  return handle;
}

absl::StatusOr<InfluxdAndPublisher> StartInfluxdAndPublisher(PublisherSetup setup) {
  InfluxdAndPublisher stack;
  absl::StatusOr<std::unique_ptr<Influxd>> influxd = Influxd::Start();
  if (!influxd.ok()) return influxd.status();
  stack.influxd = std::move(*influxd);
  setup.spool_dir = MakeTempDir("spool");
  setup.influx_port = stack.influxd->port();
  absl::StatusOr<PublisherHandle> pub = StartPublisher(setup);
  if (!pub.ok()) return pub.status();
  stack.pub = std::move(*pub);
  return stack;
}

absl::StatusOr<std::vector<core::DynamicValue>> QueryRows(Influxd& influxd,
                                                       const std::string& db,
                                                       const std::string& q) {
  influx::InfluxOptions options;
  options.host = "127.0.0.1";
  options.port = influxd.port();
  options.database = db;
  auto body = QueryInflux(options, q, "ns");
  if (!body.ok()) return body.status();
  auto json = core::ParseJson(*body);
  if (!json.ok()) return json.status();
  std::vector<core::DynamicValue> rows;
  const core::DynamicValue* results = json->Find("results");
  if (results == nullptr || results->items.empty()) return rows;
  const core::DynamicValue* series = results->items[0].Find("series");
  if (series == nullptr || series->items.empty()) return rows;
  const core::DynamicValue* values = series->items[0].Find("values");
  if (values == nullptr) return rows;
  return values->items;
}

int64_t CountPoints(Influxd& influxd, const std::string& db,
                    const std::string& measurement, const std::string& field) {
  auto rows = QueryRows(influxd, db,
                        absl::StrCat("SELECT count(\"", field, "\") FROM \"",
                                     measurement, "\""));
  if (!rows.ok() || rows->empty() || (*rows)[0].items.size() < 2) return 0;
  return (*rows)[0].items[1].int_value;
}

bool FlushAll(ocs::influx::v1::Publisher::Stub& stub, absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout + absl::Seconds(5)));
  ocs::influx::v1::FlushRequest request;
  *request.mutable_timeout() = google::protobuf::util::TimeUtil::NanosecondsToDuration(
      absl::ToInt64Nanoseconds(timeout));
  ocs::influx::v1::FlushResponse response;
  grpc::Status s = stub.Flush(&context, request, &response);
  return s.ok() && response.complete();
}

}  // namespace ocs_influx::testing
