#include "ocs_adapter/msgpack_publication.h"

#include "absl/strings/str_cat.h"
#include "ocs_adapter/msgpack_codec.h"
#include "ocs_adapter/msgpack_view.h"
#include "service/core/dynamic_value.h"
#include "service/core/publication.h"
#include "service/core/publication_reader.h"

namespace ocs_influx::ocs_adapter {

absl::Status ReadPublicationInPlace(const msgpack::object& arg0,
                                    ocs::influx::v1::OcsFeed* feed) {
  return core::ReadPublication(MsgpackView(arg0), feed);
}

absl::Status PublicationToFeedViaTree(const msgpack::object& arg0,
                                      ocs::influx::v1::OcsFeed* feed) {
  core::DynamicValue value;
  if (absl::Status s = FromMsgpack(arg0, &value, "args[0]"); !s.ok()) {
    feed->Clear();
    return s;
  }
  return core::PublicationToFeed(value, feed);
}

absl::Status PublicationToFeedMsgpack(const msgpack::object& arg0,
                                      ocs::influx::v1::OcsFeed* feed) {
  if (ReadPublicationInPlace(arg0, feed).ok()) return absl::OkStatus();
  // The same reader over the tree gives the same schema refusal; FromMsgpack
  // first gives the refusals that say where in the object.
  absl::Status s = PublicationToFeedViaTree(arg0, feed);
  feed->Clear();
  return s;
}

absl::Status PublicationToFeedMsgpack(absl::string_view arg0, MsgpackTape* tape,
                                      ocs::influx::v1::OcsFeed* feed) {
  if (tape->Read(arg0) && core::ReadPublication(tape->root(), feed).ok()) {
    return absl::OkStatus();
  }
  feed->Clear();
  absl::StatusOr<msgpack::object_handle> unpacked = UnpackChecked(arg0);
  if (!unpacked.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("args[0]: ", unpacked.status().message()));
  }
  return PublicationToFeedMsgpack(unpacked->get(), feed);
}

}  // namespace ocs_influx::ocs_adapter
