// Builds InfluxDB 1.x line protocol into a caller-owned buffer, escaping as
// the spec requires and refusing, with a reason, what InfluxDB would refuse
// or silently misread. The buffer is reused across points, so encoding a
// point allocates nothing once it has grown to its working size.
//
// Escaping (InfluxDB line protocol reference):
//   measurement                      ,  space
//   tag keys, tag values, field keys ,  =  space
//   string field values              "  and a backslash before " or \ or at
//                                    the end (InfluxDB reads any other
//                                    backslash literally)
// A backslash is kept literally, which is only unambiguous when it is not
// the last character of a name and is not followed by a character that is
// escaped there; such names are refused. No newline or carriage return can
// enter a line: in names they are refused, in string values they are written
// as the two characters \n and \r (InfluxDB reads those back literally).
#ifndef OCS_INFLUX_SERVICE_CORE_LINE_BUILDER_H_
#define OCS_INFLUX_SERVICE_CORE_LINE_BUILDER_H_

#include <cstdint>
#include <string>


#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ocs_influx::core {

// InfluxDB 1.x accepts timestamps in [kMinTimestampNs, kMaxTimestampNs].
inline constexpr int64_t kMaxTimestampNs = 9223372036854775806LL;
inline constexpr int64_t kMinTimestampNs = -9223372036854775806LL;
inline constexpr size_t kMaxStringValueBytes = 64 * 1024;
// InfluxDB 1.x refuses a point whose series key -- measurement and tags as
// written, escapes included -- is longer than 65535 bytes (models'
// MaxKeyLength), failing the point's whole batch. No name may be longer
// either: refused here, the cost of a long name stays linear in its size
// instead of being repeated per point of a feed.
inline constexpr size_t kMaxNameBytes = 65535;
inline constexpr size_t kMaxSeriesKeyBytes = 65535;

enum class NameKind { kMeasurement, kTagKey, kTagValue, kFieldKey };

// Appends `name` escaped for its position. Errors name no context: callers
// add which point and which name. Refuses names over kMaxNameBytes.
absl::Status AppendEscapedName(NameKind kind, absl::string_view name,
                               std::string* out);

// Appends `"value"` escaped. Refuses values over kMaxStringValueBytes.
absl::Status AppendStringValue(absl::string_view value, std::string* out);

// Refuses a series key (measurement and tags, escaped) over
// kMaxSeriesKeyBytes.
absl::Status CheckSeriesKeySize(size_t escaped_bytes);

// Refuses keys InfluxDB reserves (time, _field, _measurement) and empty ones.
absl::Status CheckKey(NameKind kind, absl::string_view key);

// trunc(seconds * 1e9) in double arithmetic, as Python's int(t * 1e9);
// false when the result is NaN or outside InfluxDB's range.
bool SecondsToNanoseconds(double seconds, int64_t* nanoseconds);

void AppendInt(int64_t value, std::string* out);  // "123i"
void AppendBool(bool value, std::string* out);    // "True" / "False"
// " 1615394417359038720\n"
void AppendTimestampAndNewline(int64_t nanoseconds, std::string* out);

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_LINE_BUILDER_H_
