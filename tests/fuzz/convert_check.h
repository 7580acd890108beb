// What every feed-conversion fuzz target asserts once a publication has
// been read into an OcsFeed: a failed conversion leaves nothing behind, and
// a successful one gives one line per point, each ending in '\n' and each
// accepted by our line-protocol parser (InfluxDB's grammar).
#ifndef OCS_INFLUX_TESTS_FUZZ_CONVERT_CHECK_H_
#define OCS_INFLUX_TESTS_FUZZ_CONVERT_CHECK_H_

#include <cstdlib>
#include <string>

#include "proto/publisher.pb.h"
#include "service/core/feed_convert.h"
#include "service/core/line_parser.h"

namespace ocs_influx::fuzz {

inline void ConvertAndCheckOrAbort(const ocs::influx::v1::OcsFeed& feed) {
  core::FeedConverter converter;
  core::EncodeResult result;
  std::string out;
  if (!converter.Convert(feed, &out, &result).ok()) {
    if (!out.empty()) abort();
    return;
  }
  size_t lines = 0, pos = 0;
  core::ParsedPoint point;
  while (pos < out.size()) {
    size_t end = out.find('\n', pos);
    if (end == std::string::npos) abort();
    if (!core::ParseLine(absl::string_view(out.data() + pos, end - pos), &point).ok()) {
      abort();
    }
    ++lines;
    pos = end + 1;
  }
  if (lines != result.points) abort();
}

}  // namespace ocs_influx::fuzz

#endif  // OCS_INFLUX_TESTS_FUZZ_CONVERT_CHECK_H_
