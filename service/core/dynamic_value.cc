#include "service/core/dynamic_value.h"

namespace ocs_influx::core {

const DynamicValue* DynamicValue::Find(absl::string_view key) const {
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

}  // namespace ocs_influx::core
