// libFuzzer target: line protocol text, as a WriteLines client may send it.
// Besides not crashing, whatever is accepted must come out as canonical
// lines that parse again to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "service/core/line_parser.h"

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
  LinesConverter converter;
  std::string out;
  EncodeResult result;
  if (!converter.Convert(text, precision, 42, &out, &result).ok()) {
    if (!out.empty()) abort();  // nothing may be half-accepted
    return 0;
  }
  size_t lines = 0;
  size_t pos = 0;
  ParsedPoint point;
  while (pos < out.size()) {
    size_t end = out.find('\n', pos);
    if (end == std::string::npos) abort();  // every line ends in '\n'
    absl::string_view line(out.data() + pos, end - pos);
    if (!ParseLine(line, &point).ok()) abort();
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
