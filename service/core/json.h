// A small JSON reader for OCS publications. It reads what Python's json
// module writes, including its NaN, Infinity and -Infinity tokens, keeps
// integers apart from floats (1 is an int, 1.0 a float, as in Python), and
// treats its input as hostile: nesting is bounded, and every error says
// where.
#ifndef OCS_INFLUX_SERVICE_CORE_JSON_H_
#define OCS_INFLUX_SERVICE_CORE_JSON_H_

#include <cstdint>
#include <string>

#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace ocs_influx::core {

struct JsonValue {
  enum class Type { kNull, kBool, kInt, kUint, kBigInt, kDouble, kString,
                    kArray, kObject };
  Type type = Type::kNull;
  bool bool_value = false;
  int64_t int_value = 0;
  uint64_t uint_value = 0;   // only for integers above INT64_MAX
  double double_value = 0;
  std::string string_value;
  std::vector<JsonValue> items;
  std::vector<std::pair<std::string, JsonValue>> members;  // in input order

  const JsonValue* Find(absl::string_view key) const;
};

inline constexpr int kMaxJsonDepth = 64;

absl::StatusOr<JsonValue> ParseJson(absl::string_view text);

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_JSON_H_
