#include "service/core/drop_counts.h"

namespace ocs_influx::core {

absl::string_view DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kNonFiniteFloat: return "non_finite_float";
    case DropReason::kNullValue: return "null_value";
    case DropReason::kIntegerOverflow: return "integer_overflow";
    case DropReason::kReservedFieldKey: return "reserved_field_key";
    case DropReason::kTimestampOverflow: return "timestamp_overflow";
    case DropReason::kNoFieldsLeft: return "no_fields_left";
    case DropReason::kEmptyTagValue: return "empty_tag_value";
    case DropReason::kCount: break;
  }
  return "unknown";
}

}  // namespace ocs_influx::core
