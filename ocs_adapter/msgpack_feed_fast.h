// The fast path of PublicationToFeedMsgpack: reads the usual OCS
// publication straight from the msgpack object into the OcsFeed, without
// the intermediate value tree (about half of the adapter's CPU per point
// went into building and freeing that tree).
//
// It takes only what it can read with certainty and answers false for
// anything else (a mixed-type column, duplicate keys, a number where a
// string belongs, any error): the general path then decides, so results and
// error messages stay those of the general path. It checks the general
// path's rules of reading (MsgpackReadable: string keys, UTF-8, no bin or
// ext, depth) as it goes, on what it converts and on what it skips: one
// walk over the object, not a check and then a read.
#ifndef OCS_INFLUX_OCS_ADAPTER_MSGPACK_FEED_FAST_H_
#define OCS_INFLUX_OCS_ADAPTER_MSGPACK_FEED_FAST_H_

#include <msgpack.hpp>

#include "proto/publisher.pb.h"

namespace ocs_influx::ocs_adapter {

// True when `arg0` is readable (MsgpackReadable) and was read into `feed`
// exactly as the general path would.
bool FastPublicationToFeed(const msgpack::object& arg0, ocs::influx::v1::OcsFeed* feed);

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_MSGPACK_FEED_FAST_H_
