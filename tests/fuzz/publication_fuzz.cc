// libFuzzer target: an OCS feed publication as JSON, as it may arrive from
// any agent on the site. Whatever converts must be lines that InfluxDB's
// grammar (our parser) accepts, one per point, with no stray newline.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "proto/publisher.pb.h"
#include "service/core/feed_convert.h"
#include "service/core/line_parser.h"
#include "service/core/publication.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view json(reinterpret_cast<const char*>(data), size);
  ocs::influx::v1::OcsFeed feed;
  if (!ocs_influx::core::PublicationJsonToFeed(json, &feed).ok()) return 0;
  ocs_influx::core::FeedConverter converter;
  ocs_influx::core::EncodeResult result;
  std::string out;
  if (!converter.Convert(feed, &out, &result).ok()) {
    if (!out.empty()) abort();
    return 0;
  }
  size_t lines = 0, pos = 0;
  ocs_influx::core::ParsedPoint point;
  while (pos < out.size()) {
    size_t end = out.find('\n', pos);
    if (end == std::string::npos) abort();
    if (!ocs_influx::core::ParseLine(absl::string_view(out.data() + pos, end - pos),
                                     &point).ok()) {
      abort();
    }
    ++lines;
    pos = end + 1;
  }
  if (lines != result.points) abort();
  return 0;
}
