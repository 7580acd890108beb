// An OCS feed publication as it arrives in a WAMP EVENT: `arg0` is the one
// positional argument [message, feed], as a msgpack::object or as its bytes.
// Read by the one publication schema reader (core::ReadPublication) through
// MsgpackView or MsgpackTapeView, in place: no value tree is built for a
// publication that reads.
//
// A refusal is the one the value tree would give: FromMsgpack's (with its
// path, "args[0][1].agg_params: ...") when the object holds what no tree
// holds, else the schema's. To say where, a refused publication is read
// again into a tree (cold path).
#ifndef OCS_INFLUX_OCS_ADAPTER_MSGPACK_PUBLICATION_H_
#define OCS_INFLUX_OCS_ADAPTER_MSGPACK_PUBLICATION_H_

#include <msgpack.hpp>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ocs_adapter/msgpack_tape.h"
#include "proto/publisher.pb.h"

namespace ocs_influx::ocs_adapter {

absl::Status PublicationToFeedMsgpack(const msgpack::object& arg0,
                                      ocs::influx::v1::OcsFeed* feed);

// The adapter's path: `arg0` as the bytes of one MessagePack object, read
// into `tape` (reused from call to call) and by the reader in place; the
// same feed, or the same refusal, as the overload above gives for the
// object msgpack-c unpacks from the same bytes (the refusal is that
// overload's: the bytes are unpacked again to explain it).
absl::Status PublicationToFeedMsgpack(absl::string_view arg0, MsgpackTape* tape,
                                      ocs::influx::v1::OcsFeed* feed);

// The reader over the object alone, refusals unexplained; for the
// differential fuzz target and tests, which compare it with the tree's.
absl::Status ReadPublicationInPlace(const msgpack::object& arg0,
                                    ocs::influx::v1::OcsFeed* feed);

// FromMsgpack ("args[0]") into a value tree, then core::PublicationToFeed:
// the other value source, for the same comparison and for the refusals.
absl::Status PublicationToFeedViaTree(const msgpack::object& arg0,
                                      ocs::influx::v1::OcsFeed* feed);

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_MSGPACK_PUBLICATION_H_
