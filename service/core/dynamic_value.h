// A dynamic value: what a JSON text or a MessagePack object holds, read
// into a tree (null, bool, integers, float, string, array, map). The JSON
// reader (json.h) builds it; the OCS adapter reads its WAMP arguments into
// it and builds its replies from it (ocs_adapter/reply_builders.h,
// ocs_adapter/msgpack_codec.h).
#ifndef OCS_INFLUX_SERVICE_CORE_DYNAMIC_VALUE_H_
#define OCS_INFLUX_SERVICE_CORE_DYNAMIC_VALUE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace ocs_influx::core {

struct DynamicValue {
  // kBigInt: an integer beyond uint64 (JSON only), whose value is not kept.
  enum class Type { kNull, kBool, kInt, kUint, kBigInt, kDouble, kString,
                    kArray, kObject };
  Type type = Type::kNull;
  bool bool_value = false;
  int64_t int_value = 0;
  uint64_t uint_value = 0;   // only for integers above INT64_MAX
  double double_value = 0;
  std::string string_value;
  std::vector<DynamicValue> items;
  std::vector<std::pair<std::string, DynamicValue>> members;  // in input order

  // The last member named `key`, as Python's dict keeps it; null if none.
  const DynamicValue* Find(absl::string_view key) const;
};

// How deep values nest below the top one, in every reader of outside input
// (JSON and MessagePack alike).
inline constexpr int kMaxValueDepth = 64;

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_DYNAMIC_VALUE_H_
