// The InfluxDB 1.x HTTP client of the publisher: ping, create the database,
// write line protocol (optionally gzip'ed), run a query. One libcurl easy
// handle per client, so the keep-alive connection is reused across requests;
// a client is used by one thread at a time.
//
// Write() never fails as a call: it classifies InfluxDB's answer into a
// WriteOutcome that tells the caller what to do with the batch (acknowledge,
// retry, split, create the database, dead-letter, fix credentials).
//
// The password is never logged, put in a URL or returned in an error.
#ifndef OCS_INFLUX_SERVICE_INFLUX_CLIENT_H_
#define OCS_INFLUX_SERVICE_INFLUX_CLIENT_H_

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ocs_influx::influx {

struct InfluxOptions {
  // Same meaning as the OCS InfluxDBAgent flags --host, --port, --ssl,
  // --verify-ssl, --gzip, --database.
  std::string host = "influxdb";
  int port = 8086;
  bool ssl = false;
  bool verify_ssl = false;  // ssl without verify_ssl: no verification (as OCS)
  bool gzip = false;        // Content-Encoding: gzip on /write bodies
  int gzip_level = 1;       // zlib level, 1 (fastest) .. 9
  std::string database = "ocs_feeds";
  std::string retention_policy;  // empty = the database's default
  // HTTP basic auth; InfluxDB ignores it when its auth is off. Empty
  // username = send no credentials.
  std::string username = "root";
  std::string password = "root";
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(30);
  std::string ca_file;  // optional CA bundle for ssl
  // Bound on a /query answer kept in memory; larger answers fail.
  size_t max_query_response_bytes = 64u << 20;
};

// Only InfluxDB can say a batch is stored: its 204 with its version header.
// Anything else keeps the batch.
enum class WriteOutcome {
  kOk,                // 204 from InfluxDB: stored
  kRetryable,         // transport error, timeout, 5xx, 408, 429 or another
                      // InfluxDB answer that is not about the data: try again
  kTooLarge,          // 413: split the batch
  kDatabaseNotFound,  // InfluxDB's own "database not found"
  kRejected,          // other 4xx from InfluxDB: bad data (parse error, type
                      // conflict, partial write, ...)
  kUnauthorized,      // 401, 403
  kNotInfluxDB,       // an answer without InfluxDB's X-Influxdb-Version header
                      // (a wrong port, a proxy's error or maintenance page),
                      // or a 2xx other than 204: nothing is known stored;
                      // try again later
};

std::string_view WriteOutcomeName(WriteOutcome outcome);

struct WriteResult {
  WriteOutcome outcome = WriteOutcome::kRetryable;
  long http_status = 0;  // 0 if no HTTP answer
  // InfluxDB's "error" text or the transport error, one line, truncated.
  std::string error;
  // No answer within the request timeout: with a 5xx, a sign that this
  // batch (not the server) may be what fails.
  bool timed_out = false;
  uint64_t bytes_raw = 0;   // line protocol bytes
  uint64_t bytes_sent = 0;  // body bytes on the wire (after gzip)
  absl::Duration latency;
};

class InfluxClient {
 public:
  static absl::StatusOr<std::unique_ptr<InfluxClient>> Create(const InfluxOptions& options);
  ~InfluxClient();
  InfluxClient(const InfluxClient&) = delete;
  InfluxClient& operator=(const InfluxClient&) = delete;

  // "http://host:port" or "https://host:port"; never credentials.
  std::string BaseUrl() const;

  // A request in flight ends (as a retryable failure) within about a
  // second once `should_abort` returns true; it is called from the thread
  // that uses the client. For a shutdown that cannot wait for
  // --influx-timeout.
  void SetAbortCheck(std::function<bool()> should_abort);

  // GET /ping; OK on 204 from InfluxDB.
  absl::Status Ping();
  // POST /query q=CREATE DATABASE "<database>" (idempotent in InfluxDB).
  absl::Status CreateDatabase();
  // POST /write?db=&rp=&precision=ns with `lines` as the body.
  WriteResult Write(std::string_view lines);
  // GET /query?db=&q=[&epoch=] and the raw JSON answer. A non-2xx answer is
  // an error with InfluxDB's message. `epoch` ("ns", "u", "ms", "s", ...)
  // asks for integer timestamps instead of RFC 3339 text.
  absl::StatusOr<std::string> Query(std::string_view q, std::string_view epoch = {});

  const InfluxOptions& options() const;

 private:
  struct Impl;
  explicit InfluxClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Credentials as the OCS agent reads them: INFLUXDB_USERNAME and
// INFLUXDB_PASSWORD; for one that is unset, the contents of the file named by
// INFLUXDB_USERNAME_FILE / INFLUXDB_PASSWORD_FILE with trailing "\r" and "\n"
// stripped; else "root". A named file that cannot be read is an error naming
// the file (never its contents), and `options` is left unchanged.
absl::Status LoadCredentialsFromEnvironment(
    InfluxOptions* options,
    std::function<const char*(const char*)> getenv_fn = ::getenv);

// Pulls the first "error" string out of an InfluxDB JSON answer (top level or
// inside "results"), tolerating any garbage. Control characters become
// spaces; the text is cut at `max_len` bytes on a UTF-8 boundary. Empty if
// there is none.
std::string ExtractJsonError(std::string_view json, size_t max_len = 512);

// InfluxQL double-quoted identifier: "a \"b\" \\ c".
std::string QuoteInfluxQLIdentifier(std::string_view name);

}  // namespace ocs_influx::influx

#endif  // OCS_INFLUX_SERVICE_INFLUX_CLIENT_H_
