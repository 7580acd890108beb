#include "service/influx/write_answer.h"

#include <algorithm>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/utf8/utf8.h"
#include "service/core/json.h"
#include "service/influx/answer_text.h"
#include "service/influx/api.h"
#include "service/influx/http_transport.h"

namespace ocs_influx::influx {
namespace {

// A partial-write answer names at most this many lines (InfluxDB 3 lists
// every rejected line of a batch; a batch is at most --batch-size lines).
constexpr size_t kMaxRejectedLines = 1000000;

// Debian's Abseil is built without std::string_view aliasing, so its
// string_view is a distinct type.
absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

absl::Duration ParseRetryAfter(std::string_view value, absl::Time now) {
  const absl::string_view v = absl::StripAsciiWhitespace(AV(value));
  if (v.empty()) return absl::ZeroDuration();
  absl::Duration d = absl::ZeroDuration();
  int64_t seconds = 0;
  if (absl::SimpleAtoi(v, &seconds)) {
    if (seconds <= 0) return absl::ZeroDuration();
    d = seconds > absl::ToInt64Seconds(kMaxRetryAfter) ? kMaxRetryAfter
                                                       : absl::Seconds(seconds);
  } else {
    absl::Time at;
    std::string err;
    if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(v), absl::UTCTimeZone(),
                         &at, &err)) {
      return absl::ZeroDuration();
    }
    d = at - now;
  }
  if (d < absl::ZeroDuration()) return absl::ZeroDuration();
  return std::min(d, kMaxRetryAfter);
}

std::vector<WriteResult::RejectedLine> ParsePartialWrite(std::string_view json) {
  std::vector<WriteResult::RejectedLine> out;
  absl::StatusOr<core::DynamicValue> v = core::ParseJson(AV(json));
  if (!v.ok()) return out;
  const std::vector<core::DynamicValue>* data = TopLevelArray(*v, "data");
  if (data == nullptr) return out;
  for (const core::DynamicValue& item : *data) {
    if (item.type != core::DynamicValue::Type::kObject || out.size() >= kMaxRejectedLines) {
      return {};
    }
    const core::DynamicValue* n = item.Find("line_number");
    if (n == nullptr || n->type != core::DynamicValue::Type::kInt || n->int_value < 1) {
      // A list we cannot read line by line is no list: the caller then
      // bisects, which finds the refused lines anyway.
      return {};
    }
    WriteResult::RejectedLine r;
    r.line_number = static_cast<size_t>(n->int_value);
    r.error = utf8::Sanitize(StringMember(item, "error_message"), kMaxErrorTextBytes);
    out.push_back(std::move(r));
  }
  return out;
}

void ClassifyWriteAnswer(const HttpAnswer& answer, std::string_view lines, InfluxApi api,
                         std::string_view base_url, bool* proven, WriteResult* result) {
  const long code = answer.status;
  const bool v1 = api == InfluxApi::kV1;
  result->http_status = code;
  // influxd may answer (413, 401) before it has read the whole body and then
  // close; libcurl then reports a send error, but the answer is what counts.
  if (code < 200) {
    *proven = false;
    result->http_status = 0;
    result->outcome = WriteOutcome::kRetryable;
    result->timed_out = answer.timed_out;
    result->error = answer.transport_failed ? answer.transport_error
                                            : absl::StrCat("unexpected HTTP status ", code);
    return;
  }
  // "Too large" and "try again" cost nothing to believe, whoever says them
  // (a reverse proxy's 413 or 502 in front of InfluxDB).
  const bool harmless = code == 413 || code == 408 || code == 429 ||
                        (code >= 300 && code < 400) || code >= 500;
  if (code == 429 || code == 503) {
    result->retry_after = ParseRetryAfter(answer.retry_after, absl::Now());
  }
  const bool from_influxdb = answer.from_influxdb || (api == InfluxApi::kV3 && *proven);
  auto answer_error = [&] { return AnswerErrorText(answer.body, answer.influx_error, !v1); };
  if (!v1 && (code == 401 || code == 403)) {
    // Whoever says it (InfluxDB 3 answers 401 with no header, a proxy may
    // check the token): the points are fine and wait for a token.
    result->outcome = WriteOutcome::kUnauthorized;
    result->error = TokenRefusedText(base_url, code, answer_error());
    return;
  }
  if (!from_influxdb && !harmless) {
    *proven = false;
    // Only InfluxDB can say a batch is stored or bad. A 200 from anything
    // else (a wrong port, a proxy's maintenance page) would delete points
    // that never landed; a 4xx (e.g. --ssl missing: Go's TLS port answers
    // clear text with 400) would dead-letter good ones; a 404 says nothing
    // about the database.
    result->outcome = WriteOutcome::kNotInfluxDB;
    result->error = NotInfluxDBText(base_url, code);
    return;
  }
  if (code == 204) {
    result->outcome = WriteOutcome::kOk;
    return;
  }
  if (code <= 299) {
    // InfluxDB 1.x answers a stored write with 204 and nothing else; a 200
    // with a body is something in between (a caching proxy that copies
    // headers, another product): nothing is known stored.
    result->outcome = WriteOutcome::kNotInfluxDB;
    result->error = absl::StrCat("answer from something that is not InfluxDB at ", AV(base_url),
                                 " (HTTP ", code, " to a write; InfluxDB answers 204)");
    return;
  }
  result->error = answer_error();
  if (api == InfluxApi::kV3 && (code == 400 || code == 422)) {
    // A partial write: every other line is stored, so only the named ones
    // are refused, without bisecting. No list: bisect as for InfluxDB 1.
    result->rejected = ParsePartialWrite(answer.body);
    const size_t line_count = static_cast<size_t>(std::count(lines.begin(), lines.end(), '\n')) +
                              (!lines.empty() && lines.back() != '\n' ? 1 : 0);
    bool valid = !result->rejected.empty();
    for (const WriteResult::RejectedLine& r : result->rejected) {
      if (r.line_number > line_count) valid = false;
    }
    if (valid) {
      result->outcome = WriteOutcome::kPartial;
      return;
    }
    result->rejected.clear();
    // 422 without lines: a catalog limit (too many databases, tables,
    // columns), which is the site's configuration: keep and retry.
    result->outcome = code == 422 ? WriteOutcome::kRetryable : WriteOutcome::kRejected;
    if (result->error.empty()) result->error = absl::StrCat("HTTP ", code);
    return;
  }
  const std::string& error = result->error;
  if (code == 413) {
    result->outcome = WriteOutcome::kTooLarge;
  } else if (code == 401 || code == 403) {
    result->outcome = WriteOutcome::kUnauthorized;
  } else if (code >= 400 && code <= 499 && absl::StrContains(error, "database not found")) {
    result->outcome = WriteOutcome::kDatabaseNotFound;
  } else if (code == 404 && !v1 && from_influxdb &&
             (absl::StrContains(error, "bucket") || absl::StrContains(error, "database")) &&
             absl::StrContains(error, "not found")) {
    // InfluxDB 2's "bucket not found" (3: its database): make it.
    result->outcome = WriteOutcome::kDatabaseNotFound;
  } else if (code == 404 || code == 408 || code == 429) {
    // A 404 that is not "database not found" is a wrong path (a proxy
    // prefix): configuration, not data.
    result->outcome = WriteOutcome::kRetryable;
  } else if (code >= 400 && code <= 499) {
    result->outcome = WriteOutcome::kRejected;
  } else {
    // 5xx, and 3xx (we follow no redirects): the data is fine, so keep it
    // and try again rather than throw it away.
    result->outcome = WriteOutcome::kRetryable;
  }
  if (result->error.empty()) result->error = absl::StrCat("HTTP ", code);
  if (!from_influxdb) {
    result->error = absl::StrCat(NotInfluxDBText(base_url, code), ": ", result->error);
  }
}

}  // namespace ocs_influx::influx
