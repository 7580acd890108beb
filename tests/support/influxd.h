// A real InfluxDB 1.x server for tests, on loopback only, with its own
// generated configuration and (by default) its own temporary data directory.
//
//   auto influxd = Influxd::Start();            // waits until /ping answers
//   ASSERT_TRUE(influxd.ok()) << influxd.status();
//   (*influxd)->CreateDatabase("db");
//   ... point the code under test at (*influxd)->url() ...
//
// The destructor stops the process (SIGTERM, then SIGKILL if it lingers) and
// removes the temporary directory, so every test cleans up what it started.
// The binary is $INFLUXD if set, else /usr/bin/influxd, else influxd on PATH.
#ifndef OCS_INFLUX_TESTS_SUPPORT_INFLUXD_H_
#define OCS_INFLUX_TESTS_SUPPORT_INFLUXD_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ocs_influx::testing {

struct InfluxdOptions {
  bool auth_enabled = false;   // [http] auth-enabled
  int64_t max_body_size = 0;   // [http] max-body-size in bytes; 0 = influxd default (25 MB)
  int port = 0;                // 0 = pick a free loopback port
  std::string data_dir;        // empty = fresh temp dir, removed in the destructor
  // Both set: serve HTTPS ([http] https-enabled) with this PEM pair; the
  // helper's own requests then skip certificate verification.
  std::string https_certificate;
  std::string https_private_key;
  absl::Duration start_timeout = absl::Seconds(20);
};

class Influxd {
 public:
  static absl::StatusOr<std::unique_ptr<Influxd>> Start(const InfluxdOptions& options = {});
  ~Influxd();
  Influxd(const Influxd&) = delete;
  Influxd& operator=(const Influxd&) = delete;

  // Stops the process (SIGTERM, bounded wait, then SIGKILL) but keeps the
  // data directory and the ports, for Restart().
  absl::Status Stop();
  // Starts again on the same ports and data directory; waits for /ping.
  // Stops the running process first, if any.
  absl::Status Restart();
  // SIGKILL, no shutdown: for fault tests.
  absl::Status Kill();
  // SIGSTOP / SIGCONT: the server keeps its sockets but answers nothing,
  // as a hung or overloaded server does; for timeout tests.
  absl::Status Pause();
  absl::Status Resume();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  std::string url() const;            // "http://127.0.0.1:PORT" (https:// with TLS)
  const std::string& dir() const { return dir_; }
  std::string log_path() const;       // influxd's stdout and stderr

  // Runs InfluxQL through POST /query (db may be empty) and returns the raw
  // JSON body. Credentials, if given, go as HTTP basic auth. A non-2xx
  // answer is an error carrying the body.
  absl::StatusOr<std::string> Query(std::string_view db, std::string_view q,
                                    std::string_view user = "",
                                    std::string_view password = "");

  // CREATE DATABASE; fails if the JSON answer carries an "error".
  absl::Status CreateDatabase(std::string_view db, std::string_view user = "",
                              std::string_view password = "");
  // CREATE USER ... WITH ALL PRIVILEGES. With auth enabled, influxd accepts
  // it without credentials only while no user exists yet.
  absl::Status CreateAdminUser(std::string_view user, std::string_view password);

  // The last bytes of the log, for failure messages.
  std::string LogTail(size_t max_bytes = 4000) const;

 private:
  Influxd() = default;
  absl::Status WriteConfig();
  absl::Status Spawn();
  absl::Status WaitReady(absl::Duration timeout);
  absl::Status Terminate(int signal, absl::Duration wait);

  InfluxdOptions options_;
  std::string dir_;
  bool owns_dir_ = false;
  std::string config_path_;
  std::string binary_;
  bool https() const { return !options_.https_certificate.empty(); }

  int port_ = 0;
  int rpc_port_ = 0;
  pid_t pid_ = -1;
};

// Binds 127.0.0.1:0, reads the port the kernel chose, closes the socket.
absl::StatusOr<int> PickFreeLoopbackPort();

}  // namespace ocs_influx::testing

#endif  // OCS_INFLUX_TESTS_SUPPORT_INFLUXD_H_
