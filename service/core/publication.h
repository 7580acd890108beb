// An OCS feed publication -- the one positional argument `[message, feed]`
// that an agent publishes on `<agent_address>.feeds.<feed_name>` -- read
// from JSON or its value tree into the API's OcsFeed, by the one schema
// reader (publication_reader.h) that also reads the adapter's MessagePack.
// Its input is hostile: every shape it does not expect is an error that
// names where, never a crash.
#ifndef OCS_INFLUX_SERVICE_CORE_PUBLICATION_H_
#define OCS_INFLUX_SERVICE_CORE_PUBLICATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/publisher.pb.h"
#include "service/core/json.h"

namespace ocs_influx::core {

// `publication` is the array [message, feed]. For a feed with `record`
// false (heartbeats, ...) only the feed's identity is read: the publisher
// writes nothing for it, whatever its message holds.
absl::Status PublicationToFeed(const DynamicValue& publication,
                               ocs::influx::v1::OcsFeed* feed);

// Parses one JSON text line and converts it.
absl::Status PublicationJsonToFeed(absl::string_view json,
                                   ocs::influx::v1::OcsFeed* feed);

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_PUBLICATION_H_
