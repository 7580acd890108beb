// A core value view (service/core/value_view.h) over a msgpack::object, so
// that the one OCS publication reader (core::ReadPublication) reads
// msgpack-c's objects in place, without a value tree in between. The
// adapter's EVENTs are read through MsgpackTapeView (msgpack_tape.h), which
// gives the same view of the same bytes; this one serves publications that
// are already msgpack::objects (a refusal being explained, tests, fuzzing).
//
// Kinds are those FromMsgpack (msgpack_codec.h) gives: positive integers
// above INT64_MAX are kUint, other integers kInt, float32 and float64
// kDouble; bin and ext are kOther. Map keys that are not strings read as
// empty here; KeysReadable refuses them, as FromMsgpack does, before the
// reader looks them up.
#ifndef OCS_INFLUX_OCS_ADAPTER_MSGPACK_VIEW_H_
#define OCS_INFLUX_OCS_ADAPTER_MSGPACK_VIEW_H_

#include <cstdint>
#include <limits>

#include <msgpack.hpp>

#include "absl/strings/string_view.h"
#include "common/utf8/utf8.h"
#include "ocs_adapter/msgpack_codec.h"
#include "service/core/value_view.h"

namespace ocs_influx::ocs_adapter {

class MsgpackView {
 public:
  explicit MsgpackView(const msgpack::object& o) : o_(&o) {}

  core::ValueKind kind() const {
    switch (o_->type) {
      case msgpack::type::NIL: return core::ValueKind::kNull;
      case msgpack::type::BOOLEAN: return core::ValueKind::kBool;
      case msgpack::type::POSITIVE_INTEGER:
        return o_->via.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                   ? core::ValueKind::kUint
                   : core::ValueKind::kInt;
      case msgpack::type::NEGATIVE_INTEGER: return core::ValueKind::kInt;
      case msgpack::type::FLOAT32:
      case msgpack::type::FLOAT64: return core::ValueKind::kDouble;
      case msgpack::type::STR: return core::ValueKind::kString;
      case msgpack::type::ARRAY: return core::ValueKind::kArray;
      case msgpack::type::MAP: return core::ValueKind::kMap;
      default: return core::ValueKind::kOther;
    }
  }
  bool bool_value() const { return o_->via.boolean; }
  // Positive integers up to INT64_MAX share the bits of i64.
  int64_t int_value() const { return o_->via.i64; }
  uint64_t uint_value() const { return o_->via.u64; }
  double double_value() const { return o_->via.f64; }
  absl::string_view string_value() const {
    return absl::string_view(o_->via.str.ptr, o_->via.str.size);
  }
  uint32_t size() const {
    return o_->type == msgpack::type::ARRAY ? o_->via.array.size : o_->via.map.size;
  }
  MsgpackView item(uint32_t i) const { return MsgpackView(o_->via.array.ptr[i]); }
  absl::string_view key(uint32_t i) const {
    const msgpack::object& k = o_->via.map.ptr[i].key;
    if (k.type != msgpack::type::STR) return absl::string_view();
    return absl::string_view(k.via.str.ptr, k.via.str.size);
  }
  MsgpackView value(uint32_t i) const { return MsgpackView(o_->via.map.ptr[i].val); }
  bool same(const MsgpackView& other) const { return o_ == other.o_; }

  static constexpr bool kCheckReadable = true;
  // FromMsgpack's rule for map keys: strings of valid UTF-8.
  static bool KeysReadable(const MsgpackView& map) {
    for (uint32_t i = 0; i < map.o_->via.map.size; ++i) {
      const msgpack::object& k = map.o_->via.map.ptr[i].key;
      if (k.type != msgpack::type::STR ||
          !utf8::IsValid(absl::string_view(k.via.str.ptr, k.via.str.size))) {
        return false;
      }
    }
    return true;
  }
  static bool Readable(const MsgpackView& v, int depth) {
    return MsgpackReadable(*v.o_, depth);
  }

 private:
  const msgpack::object* o_;
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_MSGPACK_VIEW_H_
