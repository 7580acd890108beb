// libFuzzer target: common/utf8 against a decoding reference. IsValid must
// agree with it, a cut must keep valid text valid and never exceed the
// bound, and Sanitize must give valid UTF-8 without control bytes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/utf8/utf8.h"
#include "tests/common/utf8_reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ocs_influx;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const bool valid = utf8::IsValid(text);
  if (valid != utf8_reference::ReferenceIsValid(text)) abort();
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
