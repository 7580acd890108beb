// A small JSON reader for OCS publications. It reads what Python's json
// module writes, including its NaN, Infinity and -Infinity tokens, keeps
// integers apart from floats (1 is an int, 1.0 a float, as in Python), and
// treats its input as hostile: nesting is bounded, and every error says
// where.
#ifndef OCS_INFLUX_SERVICE_CORE_JSON_H_
#define OCS_INFLUX_SERVICE_CORE_JSON_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/core/dynamic_value.h"

namespace ocs_influx::core {

// Nesting is bounded by kMaxValueDepth.
absl::StatusOr<DynamicValue> ParseJson(absl::string_view text);

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_JSON_H_
