// A UTF-8 validity reference for tests and the fuzz target: it decodes and
// then checks the code point, the other way round from common/utf8 (which
// checks byte ranges), so the two agreeing means something.
#ifndef OCS_INFLUX_TESTS_COMMON_UTF8_REFERENCE_H_
#define OCS_INFLUX_TESTS_COMMON_UTF8_REFERENCE_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace ocs_influx::utf8_reference {

inline bool ReferenceIsValid(const std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > text.size()) return false;
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace ocs_influx::utf8_reference

#endif  // OCS_INFLUX_TESTS_COMMON_UTF8_REFERENCE_H_
