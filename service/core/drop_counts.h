// Why a field or a point was left out instead of written, and how often.
// These are rules, not errors: the request around them is still accepted.
#ifndef OCS_INFLUX_SERVICE_CORE_DROP_COUNTS_H_
#define OCS_INFLUX_SERVICE_CORE_DROP_COUNTS_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"


namespace ocs_influx::core {

enum class DropReason : int {
  kNonFiniteFloat = 0,   // NaN or +/-Inf field: InfluxDB cannot store it
  kNullValue,            // a field with no value (OCS None)
  kIntegerOverflow,      // an OCS integer beyond int64
  kReservedFieldKey,     // an OCS field named time, _field or _measurement
  kTimestampOverflow,    // point time outside InfluxDB's range
  kNoFieldsLeft,         // every field of the point was dropped
  kEmptyTagValue,        // a tag with an empty value (left out of the point)
  kCount,
};

absl::string_view DropReasonName(DropReason reason);

struct DropCounts {
  std::array<uint64_t, static_cast<int>(DropReason::kCount)> counts{};

  void Add(DropReason reason, uint64_t n = 1) {
    counts[static_cast<int>(reason)] += n;
  }
  uint64_t Get(DropReason reason) const {
    return counts[static_cast<int>(reason)];
  }
  void Merge(const DropCounts& other) {
    for (size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
  }
  uint64_t Total() const {
    uint64_t total = 0;
    for (uint64_t c : counts) total += c;
    return total;
  }
};

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_DROP_COUNTS_H_
