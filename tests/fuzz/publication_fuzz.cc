// libFuzzer target: an OCS feed publication as JSON, as it may arrive from
// any agent on the site. Whatever converts must be lines that InfluxDB's
// grammar (our parser) accepts, one per point, with no stray newline.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "proto/publisher.pb.h"
#include "service/core/publication.h"
#include "tests/fuzz/convert_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view json(reinterpret_cast<const char*>(data), size);
  ocs::influx::v1::OcsFeed feed;
  if (!ocs_influx::core::PublicationJsonToFeed(json, &feed).ok()) return 0;
  ocs_influx::fuzz::ConvertAndCheckOrAbort(feed);
  return 0;
}
