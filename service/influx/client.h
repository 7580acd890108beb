// The InfluxDB HTTP client of the publisher: ping, create the database (a
// bucket on InfluxDB 2), write line protocol (optionally gzip'ed), run a
// query (1.x only). It speaks one of three APIs: InfluxDB 1.x (/write,
// user and password), InfluxDB 2 and Cloud (/api/v2/write, org and bucket,
// "Authorization: Token"), InfluxDB 3 Core and Enterprise
// (/api/v3/write_lp, database, "Authorization: Bearer"). One libcurl easy
// handle per client, so the keep-alive connection is reused across requests;
// a client is used by one thread at a time.
//
// Write() never fails as a call: it classifies InfluxDB's answer into a
// WriteOutcome that tells the caller what to do with the batch (acknowledge,
// retry, split, create the database, dead-letter, fix credentials).
//
// The password and the token are never logged, put in a URL or returned in
// an error.
#ifndef OCS_INFLUX_SERVICE_INFLUX_CLIENT_H_
#define OCS_INFLUX_SERVICE_INFLUX_CLIENT_H_

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ocs_influx::influx {

enum class InfluxApi { kV1, kV2, kV3 };

std::string_view InfluxApiName(InfluxApi api);  // "v1", "v2", "v3"

// Longest wait a Retry-After is believed for: a server (or a proxy) asking
// for an hour is asking for a retry later, not for an hour of silence.
inline constexpr absl::Duration kMaxRetryAfter = absl::Minutes(5);

struct InfluxOptions {
  InfluxApi api = InfluxApi::kV1;
  // v2 and v3: the base URL ("https://eu-central-1-1.aws.cloud2.influxdata.com",
  // "http://influxdb:8181", with a path prefix behind a proxy); host, port
  // and ssl are then unused. v1 builds it from host, port and ssl.
  std::string url;
  std::string org;    // v2: organization name or 16-hex ID
  std::string token;  // v2 and v3; never logged
  // Same meaning as the OCS InfluxDBAgent flags --host, --port, --ssl,
  // --verify-ssl, --gzip, --database.
  std::string host = "influxdb";
  int port = 8086;
  bool ssl = false;
  bool verify_ssl = false;  // ssl without verify_ssl: no verification (as OCS)
  bool gzip = false;        // Content-Encoding: gzip on /write bodies
  int gzip_level = 1;       // zlib level, 1 (fastest) .. 9
  // v1 and v3: the database; v2: the bucket.
  std::string database = "ocs_feeds";
  std::string retention_policy;  // v1 only  // empty = the database's default
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
  kUnauthorized,      // 401, 403: the credentials or token; keep the points
  kPartial,           // v3 400/422 naming rejected lines: those lines are
                      // refused (WriteResult::rejected), the rest is stored
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
  // 429 or 503 with Retry-After: how long the server asked us to wait
  // (at most kMaxRetryAfter); zero when it did not say.
  absl::Duration retry_after;
  // kPartial: the refused lines, 1-based line numbers of the body sent, in
  // the server's order, each with its error.
  struct RejectedLine {
    size_t line_number = 0;
    std::string error;
  };
  std::vector<RejectedLine> rejected;
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

  // "http://host:port" or "https://host:port" (v1), the configured URL
  // without a trailing "/" (v2, v3); never credentials.
  std::string BaseUrl() const;

  // A request in flight ends (as a retryable failure) within about a
  // second once `should_abort` returns true; it is called from the thread
  // that uses the client. For a shutdown that cannot wait for
  // --influx-timeout.
  void SetAbortCheck(std::function<bool()> should_abort);

  // GET /ping; OK on InfluxDB's answer (204; v3: 200, with the token).
  // UNAUTHENTICATED / PERMISSION_DENIED when the token is refused.
  absl::Status Ping();
  // What a start needs before writing: v1 CREATE DATABASE; v2 the bucket
  // looked up and created when missing (the OCS InfluxDBAgentv2's start);
  // v3 nothing, InfluxDB 3 creates the database on the first write.
  absl::Status PrepareTarget();
  // Creates the database after a "not found": v1 POST /query CREATE
  // DATABASE (idempotent in InfluxDB); v2 as PrepareTarget; v3
  // POST /api/v3/configure/database (409, already there, is fine).
  absl::Status CreateDatabase();
  // v1 POST /write?db=&rp=&precision=ns; v2 POST
  // /api/v2/write?org=&bucket=&precision=ns; v3 POST
  // /api/v3/write_lp?db=&precision=nanosecond&accept_partial=true.
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

// Reads a setting from the environment as Docker secrets are passed: the
// variable `name` if set, else the contents of the file named by
// `name`_FILE (trailing "\r" and "\n" stripped); nullopt if neither is set.
// An unreadable file is an error naming the variable and the file, never
// its contents.
absl::StatusOr<std::optional<std::string>> ReadEnvOrFile(
    const char* name, std::function<const char*(const char*)> getenv_fn = ::getenv);

// A secret from a file (e.g. --influx-token-file): trailing "\r" and "\n"
// stripped; an error names the file, never its contents.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

// Retry-After as RFC 9110 has it: delay-seconds, or an HTTP-date (then
// relative to `now`). Negative, unreadable or absent: zero. Capped at
// kMaxRetryAfter.
absl::Duration ParseRetryAfter(std::string_view value, absl::Time now);

// The rejected lines of an InfluxDB 3 partial-write answer:
// {"error": "...", "data": [{"error_message", "line_number", ...}, ...]}.
// Empty when the answer has no such list (a "data" object or null).
std::vector<WriteResult::RejectedLine> ParsePartialWrite(std::string_view json);

// Pulls the first "error" string out of an InfluxDB JSON answer (top level or
// inside "results"), tolerating any garbage. Control characters become
// spaces; the text is cut at `max_len` bytes on a UTF-8 boundary. Empty if
// there is none.
std::string ExtractJsonError(std::string_view json, size_t max_len = 512);

// InfluxQL double-quoted identifier: "a \"b\" \\ c".
std::string QuoteInfluxQLIdentifier(std::string_view name);

}  // namespace ocs_influx::influx

#endif  // OCS_INFLUX_SERVICE_INFLUX_CLIENT_H_
