#include "service/core/float_format.h"

#include <cstring>

#include "fmt/compile.h"
#include "fmt/format.h"

namespace ocs_influx::core {

char* FormatDouble(double value, char* out) {
  // {fmt}'s "{}" is the shortest round-trip text (Dragonbox), in fixed
  // notation for decimal exponents in [-4, 16) and scientific otherwise,
  // with two-digit exponents: Python's repr() but for the ".0" that Python
  // adds to integral values in fixed notation.
  char* end = fmt::format_to(out, FMT_COMPILE("{}"), value);
  for (const char* p = out; p < end; ++p) {
    if (*p == '.' || *p == 'e') return end;
  }
  *end++ = '.';
  *end++ = '0';
  return end;
}

void AppendDouble(double value, std::string* out) {
  char buffer[kMaxDoubleChars];
  char* end = FormatDouble(value, buffer);
  out->append(buffer, end - buffer);
}

}  // namespace ocs_influx::core
