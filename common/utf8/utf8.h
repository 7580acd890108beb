// The one home of UTF-8 in this project. Protobuf string fields, InfluxDB's
// line protocol and our logs all need well-formed UTF-8 (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), and every byte we
// check may come from a hostile peer, so each function reads each input byte
// a bounded number of times and never past the end.
#ifndef OCS_INFLUX_COMMON_UTF8_UTF8_H_
#define OCS_INFLUX_COMMON_UTF8_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace ocs_influx::utf8 {

// True if `text` is well-formed UTF-8. Runs of ASCII are checked eight
// bytes at a time.
bool IsValid(absl::string_view text);

// The length (1 to 4) of the well-formed character that starts `text`, or 0
// if `text` is empty or does not start with one.
size_t CharLength(absl::string_view text);

// The longest prefix of `text` that is at most `max_bytes` long and does not
// end inside a character: where to cut valid UTF-8 without making it
// invalid. For invalid input it never cuts inside a well-formed character.
size_t CutLength(absl::string_view text, size_t max_bytes);

// Appends the UTF-8 encoding of code point `cp`; a surrogate or a value
// above U+10FFFF (which have none) appends U+FFFD instead.
void AppendCodePoint(uint32_t cp, std::string* out);

// Text made safe for a log line and for a proto3 string field: ASCII
// control characters (and DEL) become spaces, each byte of invalid UTF-8
// becomes '?'; if more than `max_bytes` would result, it is cut on a
// character boundary at or below `max_bytes` and "..." is added.
std::string Sanitize(absl::string_view text, size_t max_bytes);

}  // namespace ocs_influx::utf8

#endif  // OCS_INFLUX_COMMON_UTF8_UTF8_H_
