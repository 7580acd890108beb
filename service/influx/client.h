// The InfluxDB HTTP client of the publisher: ping, create the database (a
// bucket on InfluxDB 2), write line protocol (optionally gzip'ed). It speaks
// one of three APIs: InfluxDB 1.x (/write, user and password), InfluxDB 2
// and Cloud (/api/v2/write, org and bucket, "Authorization: Token"),
// InfluxDB 3 Core and Enterprise (/api/v3/write_lp, database,
// "Authorization: Bearer"). One keep-alive connection per client
// (http_transport.h); a client is used by one thread at a time.
//
// Write() never fails as a call: it classifies InfluxDB's answer into a
// WriteOutcome that tells the caller what to do with the batch (acknowledge,
// retry, split, create the database, dead-letter, fix credentials); the
// rules are in write_answer.h.
//
// The password and the token are never logged, put in a URL or returned in
// an error.
//
// The parts: options.h (what to reach), endpoint.h (what the writer needs,
// and the outcomes), api.h (how the three APIs differ), http_transport.h
// (libcurl), gzip.h (libdeflate), write_answer.h (an answer's meaning),
// answer_text.h (reading untrusted answers), credentials.h (the
// environment).
#ifndef OCS_INFLUX_SERVICE_INFLUX_CLIENT_H_
#define OCS_INFLUX_SERVICE_INFLUX_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "service/influx/answer_text.h"   // IWYU pragma: export
#include "service/influx/credentials.h"   // IWYU pragma: export
#include "service/influx/endpoint.h"      // IWYU pragma: export
#include "service/influx/api.h"
#include "service/influx/gzip.h"
#include "service/influx/options.h"       // IWYU pragma: export
#include "service/influx/write_answer.h"  // IWYU pragma: export

namespace ocs_influx::influx {

class HttpTransport;
struct HttpAnswer;

class InfluxClient final : public InfluxEndpoint {
 public:
  static absl::StatusOr<std::unique_ptr<InfluxClient>> Create(const InfluxOptions& options);
  ~InfluxClient() override;
  InfluxClient(const InfluxClient&) = delete;
  InfluxClient& operator=(const InfluxClient&) = delete;

  // "http://host:port" or "https://host:port" (v1), the configured URL
  // without a trailing "/" (v2, v3); never credentials.
  std::string BaseUrl() const override { return urls_.base; }

  void SetAbortCheck(std::function<bool()> should_abort) override;

  // GET /ping; OK on InfluxDB's answer (204; v3: 200, with the token).
  // UNAUTHENTICATED / PERMISSION_DENIED when the token is refused.
  absl::Status Ping() override;
  // v1 CREATE DATABASE; v2 the bucket looked up and created when missing
  // (the OCS InfluxDBAgentv2's start); v3 nothing, InfluxDB 3 creates the
  // database on the first write.
  absl::Status PrepareTarget() override;
  // After a "not found": v1 POST /query CREATE DATABASE (idempotent in
  // InfluxDB); v2 as PrepareTarget; v3 POST /api/v3/configure/database
  // (409, already there, is fine).
  absl::Status CreateDatabase() override;
  // v1 POST /write?db=&rp=&precision=ns; v2 POST
  // /api/v2/write?org=&bucket=&precision=ns; v3 POST
  // /api/v3/write_lp?db=&precision=nanosecond&accept_partial=true.
  WriteResult Write(std::string_view lines) override;

 private:
  struct Headers;
  InfluxClient(InfluxOptions options, std::unique_ptr<HttpTransport> http,
               std::optional<GzipCompressor> gzip, ApiUrls urls,
               std::unique_ptr<Headers> headers);

  // The OCS InfluxDBAgentv2's start, done right (bucket.cc).
  absl::Status EnsureBucket();
  // A management call (v2 buckets, v3 databases): OK with the HTTP status
  // when the server answered and took the token. `require_influxdb_header`:
  // an answer without X-Influxdb-Version is refused as not InfluxDB's (v3
  // may send none; it is proven by its ping instead).
  absl::StatusOr<long> Manage(const std::string& url, const std::string* json_body,
                              const std::string& what, bool require_influxdb_header = true);
  // The error text of the last answer, scrubbed.
  std::string AnswerError() const;
  // Belt and braces: nothing we return should ever carry the password or
  // the token, even if a server or proxy echoes it back.
  std::string Scrub(std::string text) const;
  bool v1() const { return options_.api == InfluxApi::kV1; }

  const InfluxOptions options_;
  const std::unique_ptr<HttpTransport> http_;
  std::optional<GzipCompressor> gzip_;  // with options_.gzip
  const ApiUrls urls_;
  const std::unique_ptr<Headers> headers_;
  // v3 answers other requests than /ping without X-Influxdb-Version: its
  // 204 to a write counts once /ping at this URL proved InfluxDB (and until
  // the connection fails or something else answers).
  bool proven_ = false;
  const HttpAnswer* last_ = nullptr;  // the transport's last answer
};

}  // namespace ocs_influx::influx

#endif  // OCS_INFLUX_SERVICE_INFLUX_CLIENT_H_
