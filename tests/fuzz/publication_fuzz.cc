// libFuzzer target: an OCS feed publication as JSON, as it may arrive from
// any agent on the site. Whatever converts must be lines that InfluxDB's
// grammar (our parser) accepts, one per point, with no stray newline. And
// the one publication reader gives the same feed, or the same refusal, from
// both value sources: the JSON value tree, and the same value packed as
// MessagePack and read in place (MsgpackView), as the adapter reads it --
// for every value MessagePack carries alike (no integer beyond uint64,
// which packs as nil; no string that is not UTF-8, which FromMsgpack
// refuses before the schema).
#include <cstdint>
#include <cstdlib>
#include <string>

#include <msgpack.hpp>

#include "absl/status/statusor.h"
#include "common/utf8/utf8.h"
#include "ocs_adapter/msgpack_codec.h"
#include "ocs_adapter/msgpack_publication.h"
#include "proto/publisher.pb.h"
#include "service/core/json.h"
#include "service/core/publication.h"
#include "tests/fuzz/convert_check.h"

namespace {

using ocs_influx::core::DynamicValue;

bool PacksAlike(const DynamicValue& v) {
  switch (v.type) {
    case DynamicValue::Type::kBigInt: return false;
    case DynamicValue::Type::kString: return ocs_influx::utf8::IsValid(v.string_value);
    case DynamicValue::Type::kArray:
      for (const DynamicValue& item : v.items) {
        if (!PacksAlike(item)) return false;
      }
      return true;
    case DynamicValue::Type::kObject:
      for (const auto& [key, value] : v.members) {
        if (!ocs_influx::utf8::IsValid(key) || !PacksAlike(value)) return false;
      }
      return true;
    default: return true;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view json(reinterpret_cast<const char*>(data), size);
  ocs::influx::v1::OcsFeed feed;
  const absl::Status read = ocs_influx::core::PublicationJsonToFeed(json, &feed);

  absl::StatusOr<DynamicValue> tree = ocs_influx::core::ParseJson(json);
  if (tree.ok() && PacksAlike(*tree)) {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> pk(buffer);
    ocs_influx::ocs_adapter::PackValueTo(pk, *tree);
    msgpack::object_handle handle = msgpack::unpack(buffer.data(), buffer.size());
    ocs::influx::v1::OcsFeed in_place;
    const absl::Status in_place_read =
        ocs_influx::ocs_adapter::ReadPublicationInPlace(handle.get(), &in_place);
    if (in_place_read != read) abort();
    if (read.ok() && in_place.SerializeAsString() != feed.SerializeAsString()) abort();
  }

  if (!read.ok()) return 0;
  ocs_influx::fuzz::ConvertAndCheckOrAbort(feed);
  return 0;
}
