// core::DynamicValue to and from MessagePack, as the OCS adapter's WAMP session
// (autobahn-cpp, `wamp.2.msgpack`, msgpack-c v1 API) receives and sends
// arguments. Incoming objects are hostile: nesting is bounded, map keys
// must be strings, strings must be UTF-8, and every error says where
// ("args[0][1].agg_params: ...").
//
// Decisions:
//  - bin (Python `bytes`) and ext (msgpack timestamps, ...) are refused:
//    no OCS value is binary, and reading bytes as text would write values
//    the Python agent never writes. Old-spec "raw" arrives as str and is
//    read as a string like any other.
//  - Integers: positive above INT64_MAX are kUint, everything else kInt;
//    float32 and float64 are both kDouble (float32 widened exactly).
//  - Packing: kInt as int, kUint as uint, kDouble as float64 always (so
//    1.0 stays a float for Python), objects as maps in member order
//    (duplicate keys are sent as they are), kBigInt -- the JSON reader's
//    integer beyond uint64, whose value is not kept -- as nil.
//
// msgpack-c 4.1 (Debian's) packer::pack_double writes a double that holds
// an integral value (1.0, 1700000000.0, and -0.0) as an INTEGER. PackValueTo
// writes the float64 bytes itself to avoid that. autobahn-cpp, however,
// turns arguments into msgpack::object first (object_with_zone below) and
// packs those objects with pack_double: whatever it sends, integral doubles
// reach the router, and Python peers, as ints. A value that must stay a
// float on the wire cannot be guaranteed through autobahn-cpp's argument
// path with this msgpack-c.
#ifndef OCS_INFLUX_OCS_ADAPTER_MSGPACK_CODEC_H_
#define OCS_INFLUX_OCS_ADAPTER_MSGPACK_CODEC_H_

#include <cstdint>
#include <cstring>

#include <msgpack.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/core/dynamic_value.h"

namespace ocs_influx::ocs_adapter {

// Reads `o` into `out` (replaced). `where` names `o` in error messages.
// Values nest as deep as the JSON reader allows them (at most
// core::kMaxValueDepth below the top value); a container whose items would
// sit deeper is an error, found before descending into it.
absl::Status FromMsgpack(const msgpack::object& o, core::DynamicValue* out,
                         absl::string_view where = "value");

// Writes `v` with `pk`. Nesting is not checked: values we build are shallow.
template <typename Stream>
void PackValueTo(msgpack::packer<Stream>& pk, const core::DynamicValue& v) {
  using Type = core::DynamicValue::Type;
  switch (v.type) {
    case Type::kNull:
    case Type::kBigInt:
      pk.pack_nil();
      break;
    case Type::kBool:
      if (v.bool_value) {
        pk.pack_true();
      } else {
        pk.pack_false();
      }
      break;
    case Type::kInt:
      pk.pack_int64(v.int_value);
      break;
    case Type::kUint:
      pk.pack_uint64(v.uint_value);
      break;
    case Type::kDouble: {
      // Not pk.pack_double: see above. 0xcb and the IEEE 754 bits, big
      // endian; pack_bin_body appends bytes as they are.
      uint64_t bits;
      std::memcpy(&bits, &v.double_value, sizeof(bits));
      char buf[9];
      buf[0] = static_cast<char>(0xcbu);
      for (int i = 0; i < 8; ++i) {
        buf[1 + i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xffu);
      }
      pk.pack_bin_body(buf, sizeof(buf));
      break;
    }
    case Type::kString:
      pk.pack_str(static_cast<uint32_t>(v.string_value.size()));
      pk.pack_str_body(v.string_value.data(),
                       static_cast<uint32_t>(v.string_value.size()));
      break;
    case Type::kArray:
      pk.pack_array(static_cast<uint32_t>(v.items.size()));
      for (const core::DynamicValue& item : v.items) PackValueTo(pk, item);
      break;
    case Type::kObject:
      pk.pack_map(static_cast<uint32_t>(v.members.size()));
      for (const auto& [key, value] : v.members) {
        pk.pack_str(static_cast<uint32_t>(key.size()));
        pk.pack_str_body(key.data(), static_cast<uint32_t>(key.size()));
        PackValueTo(pk, value);
      }
      break;
  }
}

// Builds `v` as a msgpack::object whose storage lives in `zone`, the way
// autobahn-cpp turns arguments into a message (msgpack::object(x, zone)).
void ToMsgpackObject(const core::DynamicValue& v, msgpack::zone& zone,
                     msgpack::object* out);

// Whether `bytes` is one or more complete MessagePack objects in which no
// array or map claims more items than there are bytes left (every item
// takes at least one byte). The adapter's WAMP transport checks every
// message with it before autobahn-cpp unpacks it (wamp_connection.cc):
// autobahn's unpacker has no limits, and msgpack-c allocates an array's or
// map's items as soon as it reads the header (5 bytes claiming 2^28 items
// reserve 8 GiB; 2^32 throw bad_alloc), and an incomplete message stays in
// autobahn's unpacker and swallows the messages after it. Past this check
// msgpack-c allocates at most 16 bytes per byte of the message (16 per
// msgpack::object, 32 per map pair of at least 2 bytes). One pass, no
// allocation; defined in msgpack_tape.cc, with the item reader it shares.
bool WellFormedMsgpack(absl::string_view bytes);

// `bytes` unpacked by msgpack-c, if they are exactly one object that passes
// WellFormedMsgpack (which bounds what msgpack-c allocates); an error
// otherwise.
absl::StatusOr<msgpack::object_handle> UnpackChecked(absl::string_view bytes);

// Whether FromMsgpack would read `o` (at `depth` below the top) without
// error; builds nothing.
bool MsgpackReadable(const msgpack::object& o, int depth = 0);

}  // namespace ocs_influx::ocs_adapter

// So that autobahn-cpp can send a DynamicValue as an argument, e.g.
// invocation->result(std::make_tuple(value)) or publish(topic,
// std::make_tuple(value)): autobahn converts arguments with
// msgpack::object(args, zone) (object_with_zone) and may pack them.
namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
namespace adaptor {

template <>
struct pack<ocs_influx::core::DynamicValue> {
  template <typename Stream>
  msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& pk,
                                      const ocs_influx::core::DynamicValue& v) const {
    ocs_influx::ocs_adapter::PackValueTo(pk, v);
    return pk;
  }
};

template <>
struct object_with_zone<ocs_influx::core::DynamicValue> {
  void operator()(msgpack::object::with_zone& o,
                  const ocs_influx::core::DynamicValue& v) const {
    ocs_influx::ocs_adapter::ToMsgpackObject(v, o.zone, &o);
  }
};

}  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS)
}  // namespace msgpack

#endif  // OCS_INFLUX_OCS_ADAPTER_MSGPACK_CODEC_H_
