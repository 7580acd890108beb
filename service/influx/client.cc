#include "service/influx/client.h"

#include <atomic>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "service/influx/http_transport.h"

namespace ocs_influx::influx {
namespace {

std::atomic<bool> warned_no_verify{false};

}  // namespace

struct InfluxClient::Headers {
  HeaderList write;
  HeaderList auth;  // v2, v3: the Authorization header
  HeaderList json;  // v2, v3: it and a JSON Content-Type
};

absl::StatusOr<std::unique_ptr<InfluxClient>> InfluxClient::Create(
    const InfluxOptions& options) {
  absl::StatusOr<std::string> base_url = CheckOptions(options);
  if (!base_url.ok()) return base_url.status();
  InfluxOptions o = options;
  // v2, v3: the scheme of the URL decides, as for the Python client.
  if (o.api != InfluxApi::kV1) o.ssl = absl::StartsWith(*base_url, "https://");

  HttpTransport::Settings settings;
  settings.connect_timeout = o.connect_timeout;
  settings.request_timeout = o.request_timeout;
  settings.tls = o.ssl;
  settings.verify_tls = o.verify_ssl;
  settings.ca_file = o.ca_file;
  if (o.api == InfluxApi::kV1) {
    settings.basic_user = o.username;
    settings.basic_password = o.password;
  }
  absl::StatusOr<std::unique_ptr<HttpTransport>> http = HttpTransport::Create(settings);
  if (!http.ok()) return http.status();
  ApiUrls urls = BuildApiUrls(o, *std::move(base_url),
                              [&](std::string_view s) { return (*http)->Escape(s); });

  auto headers = std::make_unique<Headers>();
  bool ok = headers->write.Add("Content-Type: text/plain; charset=utf-8") &&
            // Without this libcurl sends "Expect: 100-continue" for bodies
            // over 1 MB and waits a round trip (up to 1 s with servers that
            // ignore it) first.
            headers->write.Add("Expect:") &&
            (!o.gzip || headers->write.Add("Content-Encoding: gzip"));
  if (ok && !urls.auth_header.empty()) {
    ok = headers->write.Add(urls.auth_header) && headers->auth.Add(urls.auth_header) &&
         headers->json.Add(urls.auth_header) &&
         headers->json.Add("Content-Type: application/json");
  }
  if (!ok) return absl::InternalError("curl_slist_append failed");

  std::optional<GzipCompressor> gzip;
  if (o.gzip) {
    absl::StatusOr<GzipCompressor> g = GzipCompressor::Create(o.gzip_level);
    if (!g.ok()) return g.status();
    gzip.emplace(*std::move(g));
  }
  if (o.ssl && !o.verify_ssl && !warned_no_verify.exchange(true)) {
    LOG_WARNING("influx: TLS to %s without certificate verification (--verify-ssl, or "
                "INFLUXDB_V2_VERIFY_SSL, is off)",
                urls.base);
  }
  return std::unique_ptr<InfluxClient>(new InfluxClient(std::move(o), *std::move(http),
                                                        std::move(gzip), std::move(urls),
                                                        std::move(headers)));
}

InfluxClient::InfluxClient(InfluxOptions options, std::unique_ptr<HttpTransport> http,
                           std::optional<GzipCompressor> gzip, ApiUrls urls,
                           std::unique_ptr<Headers> headers)
    : options_(std::move(options)),
      http_(std::move(http)),
      gzip_(std::move(gzip)),
      urls_(std::move(urls)),
      headers_(std::move(headers)) {}

InfluxClient::~InfluxClient() = default;

void InfluxClient::SetAbortCheck(std::function<bool()> should_abort) {
  http_->SetAbortCheck(std::move(should_abort));
}

std::string InfluxClient::Scrub(std::string text) const {
  if (!options_.password.empty() && text.find(options_.password) != std::string::npos) {
    absl::StrReplaceAll({{options_.password, "***"}}, &text);
  }
  if (!options_.token.empty() && text.find(options_.token) != std::string::npos) {
    absl::StrReplaceAll({{options_.token, "***"}}, &text);
  }
  return text;
}

std::string InfluxClient::AnswerError() const {
  return Scrub(AnswerErrorText(last_->body, last_->influx_error, !v1()));
}

absl::Status InfluxClient::Ping() {
  proven_ = false;
  const HttpAnswer& a = http_->Get(urls_.ping, &headers_->auth);
  last_ = &a;
  const long code = a.status;
  if (a.transport_failed && code == 0) {
    return absl::UnavailableError(
        absl::StrCat("ping ", urls_.base, ": ", Scrub(a.transport_error)));
  }
  if (!v1() && (code == 401 || code == 403)) {
    return absl::UnauthenticatedError(TokenRefusedText(urls_.base, code, AnswerError()));
  }
  if (!a.from_influxdb) return absl::UnavailableError(NotInfluxDBText(urls_.base, code));
  // InfluxDB 1 and 2 answer 204; InfluxDB 3 answers 200 with its version.
  const bool ok = code == 204 || (options_.api == InfluxApi::kV3 && code == 200);
  if (!ok) return HttpError(code, absl::StrCat("ping ", urls_.base), AnswerError());
  proven_ = true;
  return absl::OkStatus();
}

absl::StatusOr<long> InfluxClient::Manage(const std::string& url, const std::string* json_body,
                                          const std::string& what, bool require_influxdb_header) {
  const HttpAnswer& a = json_body != nullptr ? http_->Post(url, *json_body, &headers_->json)
                                             : http_->Get(url, &headers_->auth);
  last_ = &a;
  const long code = a.status;
  if (a.transport_failed && code == 0) {
    return absl::UnavailableError(absl::StrCat(what, ": ", Scrub(a.transport_error)));
  }
  if (code == 401 || code == 403) {
    return absl::UnauthenticatedError(
        absl::StrCat(what, ": ", TokenRefusedText(urls_.base, code, AnswerError())));
  }
  if (require_influxdb_header && !a.from_influxdb) {
    return absl::UnavailableError(NotInfluxDBText(urls_.base, code));
  }
  return code;
}

absl::Status InfluxClient::PrepareTarget() {
  switch (options_.api) {
    case InfluxApi::kV1: return CreateDatabase();
    case InfluxApi::kV2: return EnsureBucket();
    case InfluxApi::kV3: return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status InfluxClient::CreateDatabase() {
  if (options_.api == InfluxApi::kV2) return EnsureBucket();
  if (options_.api == InfluxApi::kV3) {
    const std::string what =
        absl::StrCat("creating database ", options_.database, " on ", urls_.base);
    const std::string request = absl::StrCat("{\"db\":", JsonQuote(options_.database), "}");
    absl::StatusOr<long> code = Manage(urls_.base + "/api/v3/configure/database", &request, what,
                                       /*require_influxdb_header=*/false);
    if (!code.ok()) return code.status();
    // 409: it exists already.
    if ((*code >= 200 && *code <= 299) || *code == 409) return absl::OkStatus();
    return HttpError(*code, what, AnswerError());
  }
  const std::string form = absl::StrCat(
      "q=", http_->Escape("CREATE DATABASE " + QuoteInfluxQLIdentifier(options_.database)));
  // No Content-Type header of ours: libcurl's default for a POST body is
  // application/x-www-form-urlencoded, which is what /query reads.
  const HttpAnswer& a = http_->Post(urls_.query, form, nullptr);
  last_ = &a;
  const long code = a.status;
  const std::string what = absl::StrCat("create database on ", urls_.base);
  if (a.transport_failed && code == 0) {
    return absl::UnavailableError(absl::StrCat(what, ": ", Scrub(a.transport_error)));
  }
  if (!a.from_influxdb) return absl::UnavailableError(NotInfluxDBText(urls_.base, code));
  if (code < 200 || code > 299) return HttpError(code, what, AnswerError());
  // A statement error comes back as 200 with results[0].error.
  const std::string err = Scrub(ExtractJsonError(a.body, kMaxErrorTextBytes));
  if (!err.empty()) {
    if (absl::StrContains(err, "not authorized") || absl::StrContains(err, "requires admin")) {
      return absl::PermissionDeniedError(absl::StrCat(what, ": ", err));
    }
    return absl::FailedPreconditionError(absl::StrCat(what, ": ", err));
  }
  return absl::OkStatus();
}

WriteResult InfluxClient::Write(std::string_view lines) {
  WriteResult result;
  const absl::Time start = absl::Now();
  result.bytes_raw = lines.size();
  if (options_.api == InfluxApi::kV3 && !proven_) {
    // InfluxDB 3 stamps its version on /ping only: ask who is there first.
    const absl::Status ping = Ping();
    if (!ping.ok()) {
      result.outcome = ping.code() == absl::StatusCode::kUnauthenticated
                           ? WriteOutcome::kUnauthorized
                       : absl::StrContains(ping.message(), "not InfluxDB")
                           ? WriteOutcome::kNotInfluxDB
                           : WriteOutcome::kRetryable;
      result.error = std::string(ping.message());
      result.latency = absl::Now() - start;
      return result;
    }
  }
  std::string_view body = lines;
  if (gzip_) {
    absl::StatusOr<std::string_view> gz = gzip_->Compress(lines);
    if (!gz.ok()) {
      result.outcome = WriteOutcome::kRetryable;
      result.error = std::string(gz.status().message());
      result.latency = absl::Now() - start;
      return result;
    }
    body = *gz;
  }
  result.bytes_sent = body.size();
  const HttpAnswer& a = http_->Post(urls_.write, body, &headers_->write);
  last_ = &a;
  result.latency = absl::Now() - start;
  ClassifyWriteAnswer(a, lines, options_.api, urls_.base, &proven_, &result);
  if (!result.error.empty()) result.error = Scrub(std::move(result.error));
  return result;
}

}  // namespace ocs_influx::influx
