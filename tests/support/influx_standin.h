// The InfluxDB 2 / 3 stand-in (tests/support/influx_v2v3_standin.py) as a
// test fixture: a python3 process serving the documented InfluxDB 2 or
// InfluxDB 3 Core HTTP API on a free loopback port, in front of a real
// influxd 1.6 that stores the points. Faults (401, 404, 429, 503 with
// Retry-After, slow) and the accepted token switch at run time.
//
//   auto influxd = Influxd::Start();
//   auto standin = InfluxStandin::Start({.flavor = "v2", .influxd_url = ...});
//   ... point the publisher at (*standin)->url() ...
//
// The destructor kills the process; nothing else is left behind.
#ifndef OCS_INFLUX_TESTS_SUPPORT_INFLUX_STANDIN_H_
#define OCS_INFLUX_TESTS_SUPPORT_INFLUX_STANDIN_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ocs_influx::testing {

struct StandinOptions {
  std::string flavor = "v2";  // "v2" or "v3"
  std::string influxd_url;    // the real influxd underneath
  std::string token = "standin-token";
  std::string org = "ocs";
};

// One write the stand-in answered.
struct StandinWrite {
  double t = 0;      // monotonic seconds (the stand-in's clock)
  int status = 0;    // its answer
  int64_t lines = 0; // lines stored by it (0 for a refused request)
  std::string path;
};

class InfluxStandin {
 public:
  static absl::StatusOr<std::unique_ptr<InfluxStandin>> Start(const StandinOptions& options);
  ~InfluxStandin();
  InfluxStandin(const InfluxStandin&) = delete;
  InfluxStandin& operator=(const InfluxStandin&) = delete;

  std::string url() const;  // "http://127.0.0.1:PORT"
  // POST /_standin/control with `json`, e.g. {"token": "x"} or
  // {"fault": {"status": 429, "count": 2, "retry_after": 2}}.
  absl::Status Control(const std::string& json);
  // The writes answered so far, in order.
  absl::StatusOr<std::vector<StandinWrite>> Writes();

 private:
  InfluxStandin() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
};

}  // namespace ocs_influx::testing

#endif  // OCS_INFLUX_TESTS_SUPPORT_INFLUX_STANDIN_H_
