// A parser for InfluxDB 1.x line protocol, used to validate WriteLines
// text before any of it is accepted. It follows influxd 1.6's scanner: a
// backslash escapes the next character while scanning, and only the
// sequences InfluxDB unescapes (\, \= \space in names; \" \\ in strings)
// are unescaped. Accepted lines are re-encoded by the same code that encodes
// typed points, so what reaches InfluxDB is always canonical.
#ifndef OCS_INFLUX_SERVICE_CORE_LINE_PARSER_H_
#define OCS_INFLUX_SERVICE_CORE_LINE_PARSER_H_

#include <cstdint>
#include <string>

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "service/core/line_chunks.h"
#include "service/core/point_encoder.h"

namespace ocs_influx::core {

enum class FieldType { kFloat, kInteger, kUnsigned, kBoolean, kString };

// Names and string values are views: into the parsed line when they hold
// no escape (the usual case: no copy), else into the entry's own storage,
// unescaped. They stay valid while the line does, until the next ParseLine
// into the same point.
struct ParsedField {
  absl::string_view key;
  FieldType type = FieldType::kFloat;
  // A float's text as written when it is in the grammar FastFloat reads
  // (at most 18 significant digits, a small exponent): influxd reads the
  // same double from it as from its shortest form (both round correctly),
  // so the encoder copies it instead of formatting the double again, and
  // the parser only checks its grammar, without computing the double.
  // Empty for any other float, whose value is then other_float_value. Read
  // either through ParsedFloatValue: the other field is stale from an
  // earlier line.
  absl::string_view float_text;
  double other_float_value = 0;
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  bool bool_value = false;
  absl::string_view string_value;
  std::string key_storage;
  std::string string_storage;
};

// A float field's value (type kFloat), correctly rounded.
double ParsedFloatValue(const ParsedField& field);

struct ParsedTag {
  absl::string_view key;
  absl::string_view value;
  std::string key_storage;
  std::string value_storage;
};

// Reused from line to line: the vectors only grow, and `num_tags` /
// `num_fields` say how many entries the current line uses, so parsing a
// line allocates nothing once the buffers have their working size.
struct ParsedPoint {
  absl::string_view measurement;
  std::string measurement_storage;
  std::vector<ParsedTag> tags;
  size_t num_tags = 0;
  std::vector<ParsedField> fields;
  size_t num_fields = 0;
  bool has_timestamp = false;
  int64_t timestamp = 0;  // in the line's precision
  // The parser's own: an order of tags or fields for the duplicate check.
  std::vector<size_t> scratch;
};

enum class Precision { kNanoseconds, kMicroseconds, kMilliseconds, kSeconds };

// Names that earlier lines wrote as they are. A line that begins with
// `series` and a space has that measurement and those tags, checked and
// written as they stand, without a scan. A line whose bytes at field j are
// keys[j] followed by '=' has that key without a scan, a second check or
// an escape pass; a line whose every key is known and within the first
// `distinct` has no duplicate key to look for. LinesConverter's own; the
// strings only grow (a series key is at most kMaxSeriesKeyBytes).
struct KnownNames {
  std::string series;
  std::vector<std::string> keys;
  // Bit j: keys[j] is valid, passed the key checks, needs no escape and
  // holds no backslash (so the bytes of a line that equal it followed by
  // '=' scan to exactly it).
  uint64_t plain = 0;
  // keys[0, distinct) are plain and pairwise different.
  size_t distinct = 0;
};

// Parses one line (no trailing newline). Errors say the 1-based column and
// why.
absl::Status ParseLine(absl::string_view line, ParsedPoint* point);

// Appends the canonical line for `point`; `default_ns` stands in for a
// missing timestamp, others are scaled from `precision` to nanoseconds.
absl::Status EncodeParsedPoint(const ParsedPoint& point, Precision precision,
                               int64_t default_ns, std::string* out);

// Validates and re-encodes every line of `text` (lines split at '\n'; a
// trailing '\r', empty lines and '#' comments are skipped). Any invalid line
// fails the whole text: `out` is left as it was and the error names the
// 1-based line and column. Output is the same as ParseLine and
// EncodeParsedPoint line by line; a line whose field keys earlier lines
// wrote (KnownNames) and whose values are floats as written has its
// fields, and a timestamp written as std::to_chars would, copied whole.
class LinesConverter {
 public:
  absl::Status Convert(absl::string_view text, Precision precision,
                       int64_t now_ns, std::string* out, EncodeResult* result);
  // The same into bounded chunks; INVALID_ARGUMENT (and nothing kept) once
  // the request's lines pass `out->limit()`.
  absl::Status Convert(absl::string_view text, Precision precision,
                       int64_t now_ns, LineChunks* out, EncodeResult* result);

 private:
  ParsedPoint point_;
  KnownNames known_names_;
};

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_LINE_PARSER_H_
