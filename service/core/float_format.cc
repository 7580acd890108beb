#include "service/core/float_format.h"

#include <charconv>
#include <cstring>

namespace ocs_influx::core {

char* FormatDouble(double value, char* out) {
  // std::to_chars in scientific mode gives the shortest round-trip digits
  // ("d.ddde+XX"); Python's layout is rebuilt from them.
  char sci[kMaxDoubleChars];
  auto res = std::to_chars(sci, sci + sizeof(sci), value,
                           std::chars_format::scientific);
  const char* p = sci;
  const char* end = res.ptr;
  if (*p == '-') {
    *out++ = '-';
    ++p;
  }
  char digits[20];
  int ndigits = 0;
  for (; p < end && *p != 'e'; ++p) {
    if (*p != '.') digits[ndigits++] = *p;
  }
  int exponent = 0;
  bool negative_exponent = false;
  if (p < end && *p == 'e') {
    ++p;
    if (*p == '-' || *p == '+') negative_exponent = (*p++ == '-');
    for (; p < end; ++p) exponent = exponent * 10 + (*p - '0');
    if (negative_exponent) exponent = -exponent;
  }

  if (exponent < -4 || exponent >= 16) {
    *out++ = digits[0];
    if (ndigits > 1) {
      *out++ = '.';
      std::memcpy(out, digits + 1, ndigits - 1);
      out += ndigits - 1;
    }
    *out++ = 'e';
    *out++ = exponent < 0 ? '-' : '+';
    int magnitude = exponent < 0 ? -exponent : exponent;
    if (magnitude >= 100) *out++ = static_cast<char>('0' + magnitude / 100);
    *out++ = static_cast<char>('0' + (magnitude / 10) % 10);
    *out++ = static_cast<char>('0' + magnitude % 10);
    return out;
  }
  if (exponent < 0) {
    *out++ = '0';
    *out++ = '.';
    for (int i = -1; i > exponent; --i) *out++ = '0';
    std::memcpy(out, digits, ndigits);
    return out + ndigits;
  }
  // exponent + 1 digits before the point, padded with zeros.
  int integer_digits = exponent + 1;
  for (int i = 0; i < integer_digits; ++i) {
    *out++ = i < ndigits ? digits[i] : '0';
  }
  *out++ = '.';
  if (ndigits > integer_digits) {
    std::memcpy(out, digits + integer_digits, ndigits - integer_digits);
    out += ndigits - integer_digits;
  } else {
    *out++ = '0';
  }
  return out;
}

void AppendDouble(double value, std::string* out) {
  char buffer[kMaxDoubleChars];
  char* end = FormatDouble(value, buffer);
  out->append(buffer, end - buffer);
}

}  // namespace ocs_influx::core
