// libFuzzer target: line protocol text, as a WriteLines client may send it.
// Besides not crashing, whatever is accepted must come out as lines that
// parse again to the same bytes, and a float forwarded as written must
// read whole as a double within the bounds of the parser's grammar
// (std::from_chars is the judge). The parser's number readers are held to
// their references on every position of the input: the wide float reader
// to the scalar one, the timestamp reader to std::from_chars.
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "service/core/line_parser.h"
#include "service/core/number_text.h"

using ocs_influx::core::EncodeParsedPoint;
using ocs_influx::core::EncodeResult;
using ocs_influx::core::LinesConverter;
using ocs_influx::core::ParsedPoint;
using ocs_influx::core::ParseLine;
using ocs_influx::core::Precision;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Precision precision = static_cast<Precision>(data[0] % 4);
  absl::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const char* const text_end = text.data() + text.size();
  for (const char* p = text.data(); p < text_end; ++p) {
    const char* wide = ocs_influx::core::KeptFloatEndWide(p, text_end);
    if (wide != nullptr && wide != ocs_influx::core::KeptFloatEnd(p, text_end)) abort();
    for (const char* end = p + 1; end <= text_end && end - p <= 20; ++end) {
      int64_t plain = 0;
      if (!ocs_influx::core::PlainTimestamp(p, end, &plain)) continue;
      int64_t judged = 0;
      const auto r = std::from_chars(p, end, judged);
      if (r.ec != std::errc() || r.ptr != end || judged != plain) abort();
    }
  }
  LinesConverter converter;
  std::string out;
  EncodeResult result;
  // The text twice through one converter: the second pass meets the field
  // keys its memo holds from the first. It must judge and write as line
  // by line with no memo (ParseLine + EncodeParsedPoint) does.
  const bool accepted = converter.Convert(text, precision, 42, &out, &result).ok();
  if (!accepted && !out.empty()) abort();  // nothing may be half-accepted
  std::string fresh;
  EncodeResult fresh_result;
  const bool accepted_again = converter.Convert(text, precision, 42, &fresh, &fresh_result).ok();
  if (accepted != accepted_again || fresh != out) abort();
  std::string by_line;
  bool all_lines_ok = true;
  {
    ParsedPoint point;
    size_t pos = 0;
    while (pos < text.size() && all_lines_ok) {
      size_t end = text.find('\n', pos);
      if (end == absl::string_view::npos) end = text.size();
      absl::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      while (!line.empty() && (line[0] == ' ' || line[0] == '\t')) line.remove_prefix(1);
      if (line.empty() || line[0] == '#') continue;
      all_lines_ok = ParseLine(line, &point).ok() &&
                     EncodeParsedPoint(point, precision, 42, &by_line).ok();
    }
  }
  if (all_lines_ok != accepted || (accepted && by_line != out)) abort();
  if (!accepted) return 0;
  size_t lines = 0;
  size_t pos = 0;
  ParsedPoint point;
  while (pos < out.size()) {
    size_t end = out.find('\n', pos);
    if (end == std::string::npos) abort();  // every line ends in '\n'
    absl::string_view line(out.data() + pos, end - pos);
    if (!ParseLine(line, &point).ok()) abort();
    for (size_t i = 0; i < point.num_fields; ++i) {
      const auto& field = point.fields[i];
      if (field.type != ocs_influx::core::FieldType::kFloat || field.float_text.empty()) {
        continue;
      }
      // Forwarded as written: it must read whole as a double, and one
      // whose magnitude KeptFloatEnd's grammar bounds (InfluxDB stores no
      // infinity, and no denormal here to round differently).
      double value = 0;
      const char* first = field.float_text.data();
      const char* last = first + field.float_text.size();
      auto r = std::from_chars(first, last, value);
      if (r.ec != std::errc() || r.ptr != last) abort();
      const double magnitude = value < 0 ? -value : value;
      if (magnitude != 0 && (magnitude < 1e-19 || magnitude >= 1e38)) abort();
    }
    std::string again;
    if (!EncodeParsedPoint(point, Precision::kNanoseconds, 0, &again).ok()) abort();
    if (again.size() != line.size() + 1 ||
        absl::string_view(again.data(), line.size()) != line) {
      abort();
    }
    ++lines;
    pos = end + 1;
  }
  if (lines != result.points) abort();
  return 0;
}
