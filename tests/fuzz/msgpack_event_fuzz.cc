// libFuzzer target: the one positional argument of a WAMP EVENT on a feed
// topic, as msgpack bytes from any peer of the router. Unpacked with
// bounded sizes and depth (msgpack-c throws on malformed input: caught here,
// the only place, as the adapter's session must), then read and converted
// as the adapter does. Properties, as for the JSON path
// (publication_fuzz.cc): whatever converts gives lines our parser accepts,
// one per point; a failed conversion leaves nothing behind. And what
// FromMsgpack reads packs back (PackValueTo) to bytes that read to the same
// value and pack to the same bytes. And the one publication reader gives
// the same feed, or the same refusal, from both value sources: in place
// over the msgpack object (MsgpackView) and over the value tree FromMsgpack
// builds; in place it takes nothing FromMsgpack would refuse (it checks
// that as it reads: no MsgpackReadable walk runs before it).
#include <cstdint>
#include <cstdlib>
#include <string>

#include <msgpack.hpp>

#include "ocs_adapter/msgpack_codec.h"
#include "ocs_adapter/msgpack_publication.h"
#include "proto/publisher.pb.h"
#include "service/core/dynamic_value.h"
#include "tests/fuzz/convert_check.h"

namespace {

std::string Pack(const ocs_influx::core::DynamicValue& v) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  ocs_influx::ocs_adapter::PackValueTo(pk, v);
  return std::string(buffer.data(), buffer.size());
}

void CheckRepack(const msgpack::object& o) {
  ocs_influx::core::DynamicValue value;
  if (!ocs_influx::ocs_adapter::FromMsgpack(o, &value).ok()) return;
  const std::string bytes = Pack(value);
  msgpack::object_handle again;
  try {
    again = msgpack::unpack(bytes.data(), bytes.size());
  } catch (const msgpack::unpack_error&) {
    abort();  // we wrote something msgpack-c cannot read
  }
  ocs_influx::core::DynamicValue value2;
  if (!ocs_influx::ocs_adapter::FromMsgpack(again.get(), &value2).ok()) abort();
  if (Pack(value2) != bytes) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace oa = ocs_influx::ocs_adapter;
  // Without limits a 5-byte array header asks for 2^32 objects up front.
  const msgpack::unpack_limit limit(/*array=*/4096, /*map=*/4096,
                                    /*str=*/1 << 20, /*bin=*/1 << 20,
                                    /*ext=*/1 << 20, /*depth=*/128);
  msgpack::object_handle handle;
  try {
    handle = msgpack::unpack(reinterpret_cast<const char*>(data), size,
                             nullptr, nullptr, limit);
  } catch (const msgpack::unpack_error&) {
    return 0;
  } catch (const msgpack::type_error&) {
    return 0;
  }
  CheckRepack(handle.get());

  // The two value sources, one reader.
  ocs::influx::v1::OcsFeed in_place, via_tree;
  const absl::Status in_place_read = oa::ReadPublicationInPlace(handle.get(), &in_place);
  const absl::Status tree_read = oa::PublicationToFeedViaTree(handle.get(), &via_tree);
  if (in_place_read.ok() != tree_read.ok()) abort();
  if (in_place_read.ok()) {
    if (!oa::MsgpackReadable(handle.get())) abort();
    if (in_place.SerializeAsString() != via_tree.SerializeAsString()) abort();
  } else if (oa::MsgpackReadable(handle.get()) && in_place_read != tree_read) {
    abort();  // the same schema refusal, word for word
  }

  // What the adapter calls: the tree's answer, refusal included.
  ocs::influx::v1::OcsFeed feed;
  const absl::Status read = oa::PublicationToFeedMsgpack(handle.get(), &feed);
  if (read != tree_read) abort();
  if (!read.ok()) {
    if (feed.ByteSizeLong() != 0) abort();
    return 0;
  }
  if (feed.SerializeAsString() != via_tree.SerializeAsString()) abort();
  ocs_influx::fuzz::ConvertAndCheckOrAbort(feed);
  return 0;
}
