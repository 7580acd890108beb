#include "ocs_adapter/reply_builders.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "service/core/float_format.h"

namespace ocs_influx::ocs_adapter {

std::string PythonRepr(const Value& v) {
  switch (v.type) {
    case Value::Type::kNull: return "None";
    case Value::Type::kBool: return v.bool_value ? "True" : "False";
    case Value::Type::kInt: return absl::StrCat(v.int_value);
    case Value::Type::kUint: return absl::StrCat(v.uint_value);
    case Value::Type::kBigInt: return "<int>";
    case Value::Type::kDouble: {
      if (std::isnan(v.double_value)) return "nan";
      if (std::isinf(v.double_value)) return v.double_value > 0 ? "inf" : "-inf";
      std::string out;
      core::AppendDouble(v.double_value, &out);
      return out;
    }
    case Value::Type::kString: {
      // Python picks single quotes unless the text holds one and no double.
      bool single = v.string_value.find('\'') == std::string::npos ||
                    v.string_value.find('"') != std::string::npos;
      char q = single ? '\'' : '"';
      std::string out(1, q);
      for (char c : v.string_value) {
        if (c == q || c == '\\') out.push_back('\\');
        if (c == '\n') {
          out += "\\n";
          continue;
        }
        out.push_back(c);
      }
      out.push_back(q);
      return out;
    }
    case Value::Type::kArray: return "[...]";
    case Value::Type::kObject: return "{...}";
  }
  return "?";
}

}  // namespace ocs_influx::ocs_adapter
