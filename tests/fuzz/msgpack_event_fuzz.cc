// libFuzzer target: the one positional argument of a WAMP EVENT on a feed
// topic, as msgpack bytes from any peer of the router. Unpacked with
// bounded sizes and depth (msgpack-c throws on malformed input: caught here,
// the only place, as the adapter's session must), then read and converted
// as the adapter does. Properties, as for the JSON path
// (publication_fuzz.cc): whatever converts gives lines our parser accepts,
// one per point; a failed conversion leaves nothing behind. And what
// FromMsgpack reads packs back (PackValueTo) to bytes that read to the same
// value and pack to the same bytes. And the fast path of
// PublicationToFeedMsgpack reads exactly what the general path reads, and
// takes nothing FromMsgpack would refuse (it checks that as it reads: no
// MsgpackReadable walk runs before it).
#include <cstdint>
#include <cstdlib>
#include <string>

#include <msgpack.hpp>

#include "ocs_adapter/msgpack_feed_fast.h"
#include "ocs_adapter/msgpack_codec.h"
#include "proto/publisher.pb.h"
#include "service/core/json.h"
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

  ocs::influx::v1::OcsFeed fast;
  if (ocs_influx::ocs_adapter::FastPublicationToFeed(handle.get(), &fast) &&
      !ocs_influx::ocs_adapter::MsgpackReadable(handle.get())) {
    abort();
  }

  ocs::influx::v1::OcsFeed feed;
  absl::Status read = ocs_influx::ocs_adapter::PublicationToFeedMsgpack(handle.get(), &feed);
  // The fast path must agree with the general one, value for value.
  ocs::influx::v1::OcsFeed general;
  absl::Status general_read =
      ocs_influx::ocs_adapter::PublicationToFeedMsgpackGeneral(handle.get(), &general);
  if (read.ok() != general_read.ok()) abort();
  if (read.ok() && feed.SerializeAsString() != general.SerializeAsString()) abort();
  if (!read.ok()) return 0;
  ocs_influx::fuzz::ConvertAndCheckOrAbort(feed);
  return 0;
}
