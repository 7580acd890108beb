// `publisherctl feeds`: which feeds are alive. GetStatus's per-feed health
// as a table, stale feeds first, or JSON; --watch refreshes it in place.
#ifndef OCS_INFLUX_CLIENT_FEEDS_COMMAND_H_
#define OCS_INFLUX_CLIENT_FEEDS_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/command_io.h"
#include "proto/publisher.pb.h"

namespace ocs_influx::client {

int RunFeeds(const std::vector<std::string>& args, const CommandIo& io);

// Stale first, then the most recent arrival first, then by name.
std::vector<ocs::influx::v1::FeedStatus> SortedFeeds(
    const ocs::influx::v1::Status& status);

// `now` turns times into ages ("3s ago").
std::string FormatFeedsTable(const ocs::influx::v1::Status& status, absl::Time now);

// {"feeds": [...], "feedsNotTracked", "pointsNotTracked", "staleAfter"},
// every field printed, feeds in the table's order.
absl::StatusOr<std::string> FeedsToJson(const ocs::influx::v1::Status& status);

}  // namespace ocs_influx::client

#endif  // OCS_INFLUX_CLIENT_FEEDS_COMMAND_H_
