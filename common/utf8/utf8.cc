#include "common/utf8/utf8.h"

#include <algorithm>
#include <cstring>

namespace ocs_influx::utf8 {
namespace {

// The length of the well-formed character at p[0..n), n >= 1; 0 if none.
// The second byte's range depends on the first (RFC 3629, table 3-7 of
// Unicode): that is what rules out overlong forms, surrogates and code
// points above U+10FFFF without decoding.
inline size_t CharLengthAt(const unsigned char* p, size_t n) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;       // overlong
    else if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;       // overlong
    else if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // a continuation byte, C0, C1 or F5..FF
  }
  if (n < len) return 0;
  if (p[1] < lo || p[1] > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if ((p[k] & 0xC0) != 0x80) return 0;
  }
  return len;
}

}  // namespace

bool IsValid(absl::string_view text) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  while (n > 0) {
    // Eight ASCII bytes at a time: most of what we check (names, units,
    // messages) is ASCII.
    while (n >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      if ((word & 0x8080808080808080ull) != 0) break;
      p += 8;
      n -= 8;
    }
    // The ASCII bytes before the first that is not (fewer than eight after
    // a failed word test), then one multi-byte character.
    while (n > 0 && *p < 0x80) {
      ++p;
      --n;
    }
    if (n == 0) break;
    const size_t len = CharLengthAt(p, n);
    if (len == 0) return false;
    p += len;
    n -= len;
  }
  return true;
}

size_t CharLength(absl::string_view text) {
  if (text.empty()) return 0;
  return CharLengthAt(reinterpret_cast<const unsigned char*>(text.data()),
                      text.size());
}

size_t CutLength(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text.size();
  // Step back over at most three continuation bytes to the start of the
  // character that straddles the cut; keep it only if it is whole.
  size_t cut = max_bytes;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t start = cut;
  while (start > 0 && cut - start < 3 && (p[start] & 0xC0) == 0x80) --start;
  if (start == cut) return cut;  // the cut is at a character's first byte
  const size_t len = CharLengthAt(p + start, text.size() - start);
  // A well-formed character straddles the cut: cut before it. Otherwise
  // the bytes before the cut are no character of which to keep all or none.
  if (len != 0 && start + len > cut) return start;
  return cut;
}

void AppendCodePoint(uint32_t cp, std::string* out) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  char buf[4];
  size_t len;
  if (cp < 0x80) {
    buf[0] = static_cast<char>(cp);
    len = 1;
  } else if (cp < 0x800) {
    buf[0] = static_cast<char>(0xC0 | (cp >> 6));
    buf[1] = static_cast<char>(0x80 | (cp & 0x3F));
    len = 2;
  } else if (cp < 0x10000) {
    buf[0] = static_cast<char>(0xE0 | (cp >> 12));
    buf[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[2] = static_cast<char>(0x80 | (cp & 0x3F));
    len = 3;
  } else {
    buf[0] = static_cast<char>(0xF0 | (cp >> 18));
    buf[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = static_cast<char>(0x80 | (cp & 0x3F));
    len = 4;
  }
  out->append(buf, len);
}

std::string Sanitize(absl::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 3);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    size_t len = CharLengthAt(p + i, text.size() - i);
    const bool valid = len != 0;
    if (!valid) len = 1;
    if (out.size() + len > max_bytes) {
      out += "...";
      break;
    }
    if (!valid) {
      out += '?';
    } else if (len == 1 && (p[i] < 0x20 || p[i] == 0x7F)) {
      out += ' ';
    } else {
      out.append(text.data() + i, len);
    }
    i += len;
  }
  return out;
}

}  // namespace ocs_influx::utf8
