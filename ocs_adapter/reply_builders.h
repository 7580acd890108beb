// Builders for the dynamic values (core::DynamicValue) that OCS replies are
// made of, so a reply reads like the Python dict it mirrors.
#ifndef OCS_INFLUX_OCS_ADAPTER_REPLY_BUILDERS_H_
#define OCS_INFLUX_OCS_ADAPTER_REPLY_BUILDERS_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "service/core/dynamic_value.h"

namespace ocs_influx::ocs_adapter {

// A WAMP argument or reply: the adapter's name for core::DynamicValue.
using Value = core::DynamicValue;

inline Value Null() { return Value(); }

inline Value Bool(bool b) {
  Value v;
  v.type = Value::Type::kBool;
  v.bool_value = b;
  return v;
}

inline Value Int(int64_t i) {
  Value v;
  v.type = Value::Type::kInt;
  v.int_value = i;
  return v;
}

inline Value Double(double d) {
  Value v;
  v.type = Value::Type::kDouble;
  v.double_value = d;
  return v;
}

inline Value Str(std::string s) {
  Value v;
  v.type = Value::Type::kString;
  v.string_value = std::move(s);
  return v;
}

inline Value List(std::vector<Value> items = {}) {
  Value v;
  v.type = Value::Type::kArray;
  v.items = std::move(items);
  return v;
}

inline Value Dict(std::vector<std::pair<std::string, Value>> members = {}) {
  Value v;
  v.type = Value::Type::kObject;
  v.members = std::move(members);
  return v;
}

// Python's repr() of a scalar value, for OCS's parameter error messages.
std::string PythonRepr(const Value& v);

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_REPLY_BUILDERS_H_
