// A real publisher (gRPC server on a free loopback port, spool in a temp
// dir) in front of a real influxd, and helpers to read back what landed.
#ifndef OCS_INFLUX_TESTS_SERVICE_PUBLISHER_FIXTURE_H_
#define OCS_INFLUX_TESTS_SERVICE_PUBLISHER_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/publisher.grpc.pb.h"
#include "service/core/json.h"
#include "service/engine/publisher.h"
#include "service/grpc/server.h"
#include "tests/support/influxd.h"

namespace ocs_influx::testing {

// A fresh directory under $TEST_TMPDIR.
std::string MakeTempDir(const std::string& prefix);

struct PublisherHandle {
  std::unique_ptr<server::PublisherServer> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<ocs::influx::v1::Publisher::Stub> stub;
};

struct PublisherSetup {
  std::string spool_dir;
  std::string database = "ocs_feeds";
  int influx_port = 0;
  std::string auth_token;
  size_t batch_size = 5000;
  absl::Duration flush_interval = absl::Milliseconds(50);
  uint64_t spool_max_bytes = 1ull << 30;
  bool record_at_start = true;
  bool gzip = false;
  absl::Duration stats_interval = absl::ZeroDuration();
  absl::Duration stale_after = absl::Seconds(60);
  absl::Duration max_backoff = absl::Seconds(1);
  std::string tls_cert_file;  // both set: TLS on the gRPC port
  std::string tls_key_file;
};

absl::StatusOr<PublisherHandle> StartPublisher(const PublisherSetup& setup);

// influxd on a free loopback port and a publisher in front of it. Members
// go in reverse order: the publisher stops before influxd.
struct InfluxdAndPublisher {
  std::unique_ptr<Influxd> influxd;
  PublisherHandle pub;
};
// `setup` with a fresh spool directory and the new influxd's port filled in.
absl::StatusOr<InfluxdAndPublisher> StartInfluxdAndPublisher(PublisherSetup setup = {});

// Runs `q` against `db` with nanosecond epochs and returns the rows of the
// first series (each a JSON array: time first), or an empty list.
absl::StatusOr<std::vector<core::DynamicValue>> QueryRows(Influxd& influxd,
                                                       const std::string& db,
                                                       const std::string& q);
// SELECT count(*)-style helper: number of points of `measurement`.
int64_t CountPoints(Influxd& influxd, const std::string& db,
                    const std::string& measurement, const std::string& field);

// Flush with a deadline; true if complete.
bool FlushAll(ocs::influx::v1::Publisher::Stub& stub, absl::Duration timeout);

}  // namespace ocs_influx::testing

#endif  // OCS_INFLUX_TESTS_SERVICE_PUBLISHER_FIXTURE_H_
