// Text in InfluxDB's answers, which we do not trust: the "error" of a JSON
// answer found with bounded work, made safe for a log line and a proto3
// string by utf8::Sanitize. Also the quoting of names we put in requests.
#ifndef OCS_INFLUX_SERVICE_INFLUX_ANSWER_TEXT_H_
#define OCS_INFLUX_SERVICE_INFLUX_ANSWER_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "service/core/json.h"

namespace ocs_influx::influx {

// Longest error text kept from an answer.
inline constexpr size_t kMaxErrorTextBytes = 512;

// Pulls the first "error" string out of an InfluxDB JSON answer (top level or
// inside "results"), tolerating any garbage. Control characters become
// spaces; the text is cut at `max_len` bytes on a UTF-8 boundary. Empty if
// there is none.
std::string ExtractJsonError(std::string_view json, size_t max_len = 512);

// InfluxQL double-quoted identifier: "a \"b\" \\ c".
std::string QuoteInfluxQLIdentifier(std::string_view name);

// The error text of an HTTP answer: InfluxDB's JSON "error" (v2 and v3 also
// their "message"), else its X-Influxdb-Error header, else the start of
// the body. Not scrubbed of secrets: the client does that.
std::string AnswerErrorText(std::string_view body, std::string_view influx_error_header,
                            bool v2_or_v3);

// JSON string literal for a bucket, org or database name we send.
std::string JsonQuote(std::string_view s);

// The members of `array_key`'s array at the top level of `json`, or null.
const std::vector<core::DynamicValue>* TopLevelArray(const core::DynamicValue& json,
                                                  std::string_view array_key);
// `key`'s string member of an object; empty if there is none.
std::string StringMember(const core::DynamicValue& v, std::string_view key);

}  // namespace ocs_influx::influx

#endif  // OCS_INFLUX_SERVICE_INFLUX_ANSWER_TEXT_H_
