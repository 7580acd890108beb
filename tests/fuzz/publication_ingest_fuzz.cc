// libFuzzer target: a whole OCS publication, the one positional argument
// [message, feed] of a feed EVENT, as the adapter receives it and the
// publisher's IngestFeed converts it. The first byte picks the encoding:
// even, MessagePack (the WAMP transport's WellFormedMsgpack check, msgpack-c
// without limits as autobahn-cpp unpacks, then PublicationToFeedMsgpack);
// odd, JSON (PublicationJsonToFeed, as publisherctl and the JSON path read
// it). The feed is then converted into bounded chunks under a request limit
// (tests/fuzz/convert_check.h), twice, as two feeds of one request. A
// MessagePack publication that reads must read the same through the value
// tree (the one schema reader over its other value source).
//
// scripts/fuzz runs it, as every target, with -timeout=2 -rss_limit_mb=1024
// -malloc_limit_mb=256: a publication that costs more than linear work or
// memory (amplification by long names, quadratic checks) is a finding, not
// only a crash.
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>

#include <msgpack.hpp>

#include "ocs_adapter/msgpack_codec.h"
#include "ocs_adapter/msgpack_publication.h"
#include "proto/publisher.pb.h"
#include "service/core/publication.h"
#include "tests/fuzz/convert_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool json = (data[0] & 1) != 0;
  absl::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  ocs::influx::v1::OcsFeed feed;
  if (json) {
    if (!ocs_influx::core::PublicationJsonToFeed(bytes, &feed).ok()) return 0;
  } else {
    // The transport refuses what msgpack-c would over-allocate for or
    // choke on; what passes is unpacked without limits, as autobahn does.
    if (!ocs_influx::ocs_adapter::WellFormedMsgpack(bytes)) return 0;
    msgpack::object_handle handle;
    try {
      handle = msgpack::unpack(bytes.data(), bytes.size());
    } catch (const std::exception&) {
      return 0;  // more than one object: not one EVENT argument
    }
    if (!ocs_influx::ocs_adapter::PublicationToFeedMsgpack(handle.get(), &feed).ok()) {
      return 0;
    }
    // The one reader, over the other value source: the same feed.
    ocs::influx::v1::OcsFeed via_tree;
    if (!ocs_influx::ocs_adapter::PublicationToFeedViaTree(handle.get(), &via_tree).ok() ||
        via_tree.SerializeAsString() != feed.SerializeAsString()) {
      abort();
    }
  }
  ocs_influx::fuzz::ConvertAndCheckOrAbort(feed);
  return 0;
}
