// Bounds a decoded publication must meet before the adapter queues it, and
// the cutting of a large one into calls the publisher takes. Both cost
// linear work and allocate nothing per point beyond the copy of the rows.
//
// Why here and not only in the core: the core converts a feed row by row,
// repeating measurement and tags in every line; a 400 kB agent_address on
// 250,000 rows is 100 GB of line protocol. The adapter refuses such a
// publication (and dead-letters it) before it costs anything.
#ifndef OCS_INFLUX_OCS_ADAPTER_FEED_BOUNDS_H_
#define OCS_INFLUX_OCS_ADAPTER_FEED_BOUNDS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "ocs_adapter/agent.h"
#include "proto/publisher.pb.h"

namespace ocs_influx::ocs_adapter {

// InfluxDB 1.x refuses keys (measurement, tag and field keys, tag values)
// of 64 KiB and more.
inline constexpr size_t kMaxNameBytes = 65535;

struct FeedBounds {
  // Line protocol the feed would become (EncodedBytesBound). Above the
  // publisher's per-request limit a feed is cut into several calls; above
  // this, it is refused.
  uint64_t max_encoded_bytes = 512ull << 20;
};

// OK, or why not with `*reason` set (kNameTooLong or kTooLarge). When OK
// and `line_bytes` is given, it holds EncodedBytesBound(feed), so that the
// queue need not compute it again.
absl::Status CheckFeedBounds(const ocs::influx::v1::OcsFeed& feed, const FeedBounds& bounds,
                             Refusal* reason, uint64_t* line_bytes = nullptr);

// At least the bytes of line protocol the publisher makes of `feed`: the
// core's own bound (core::FeedConverter::EncodedSizeBound), so that the
// adapter cuts where the publisher counts. 0 for a feed the publisher will
// refuse for its shape (it says why; the refusal is dead-lettered then).
// Linear in the feed, allocates nothing once warm.
uint64_t EncodedBytesBound(const ocs::influx::v1::OcsFeed& feed);

// Cuts `feed` into feeds of at most `max_bytes` (ByteSizeLong) and at most
// `max_line_bytes` of line protocol (EncodedBytesBound) each: whole blocks
// where they fit, else row ranges of a block, same agent, feed and block
// names, in order. A piece that cannot be cut further (one row over a
// limit, or a block whose columns are not as long as its timestamps) is
// handed out as it is; the caller must check its size.
std::vector<ocs::influx::v1::OcsFeed> SplitFeed(ocs::influx::v1::OcsFeed feed,
                                                size_t max_bytes,
                                                uint64_t max_line_bytes = UINT64_MAX);

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_FEED_BOUNDS_H_
