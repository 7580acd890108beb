// libFuzzer target: common/utf8 against a decoding reference. IsValid must
// agree with it, a cut must keep valid text valid and never exceed the
// bound, and Sanitize must give valid UTF-8 without control bytes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/utf8/utf8.h"

namespace {

bool ReferenceIsValid(const std::string& text) {
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ocs_influx;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const bool valid = utf8::IsValid(text);
  if (valid != ReferenceIsValid(text)) abort();
  const size_t max = size == 0 ? 0 : data[0] % (size + 2);
  const size_t cut = utf8::CutLength(text, max);
  if (cut > max || cut > size) abort();
  if (valid && !utf8::IsValid(text.substr(0, cut))) abort();
  if (valid && cut + 4 <= max) abort();  // cut back by more than a character
  const std::string clean = utf8::Sanitize(text, max);
  if (!utf8::IsValid(clean) || clean.size() > max + 3) abort();
  for (char c : clean) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) abort();
  }
  return 0;
}
