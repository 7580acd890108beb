// Floats as Python's repr() prints them: the shortest digits that read back
// to the same double, fixed notation for decimal exponents in [-4, 16) with
// at least one digit after the point, scientific otherwise (1e+16, 1e-05).
// The Python OCS agent writes f"{value}", so this keeps our line protocol
// byte-identical to its output for every finite value.
#ifndef OCS_INFLUX_SERVICE_CORE_FLOAT_FORMAT_H_
#define OCS_INFLUX_SERVICE_CORE_FLOAT_FORMAT_H_

#include <cstddef>
#include <string>

namespace ocs_influx::core {

// Room FormatDouble needs: the longest text is 24 bytes (sign, 17 digits,
// point, "e-308"), but it writes with fixed-size copies up to 40 bytes in.
inline constexpr size_t kMaxDoubleChars = 40;

// Writes the repr of a finite `value` at `out` (kMaxDoubleChars of room,
// bytes past the returned end are scratch) and returns the end. Non-finite
// values must be filtered by the caller.
char* FormatDouble(double value, char* out);

void AppendDouble(double value, std::string* out);

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_FLOAT_FORMAT_H_
