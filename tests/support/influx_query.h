// Reading back what a test wrote: InfluxQL through /query of an InfluxDB 1.x
// reached as `options` says (host, port, ssl, database, basic auth). The
// publisher never queries, so this lives with the tests, not in
// //service/influx:client.
#ifndef OCS_INFLUX_TESTS_SUPPORT_INFLUX_QUERY_H_
#define OCS_INFLUX_TESTS_SUPPORT_INFLUX_QUERY_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "service/influx/options.h"

namespace ocs_influx::testing {

// POST /query?db=&q=[&epoch=] and the raw JSON answer. `epoch` ("ns", "u",
// "ms", "s") asks for integer timestamps instead of RFC 3339 text. No answer:
// UNAVAILABLE; a non-2xx answer: INVALID_ARGUMENT with InfluxDB's "error".
absl::StatusOr<std::string> QueryInflux(const influx::InfluxOptions& options, std::string_view q,
                                        std::string_view epoch = {});

}  // namespace ocs_influx::testing

#endif  // OCS_INFLUX_TESTS_SUPPORT_INFLUX_QUERY_H_
