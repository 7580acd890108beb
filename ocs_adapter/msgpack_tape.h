// MessagePack bytes read once into a flat array of nodes (a "tape") that
// the one OCS publication reader (core::ReadPublication) walks in place,
// and the envelope of a WAMP EVENT read straight from a WebSocket message.
//
// Why not msgpack-c: autobahn-cpp unpacked every message into
// msgpack::object trees in a new zone (mallocs for each 16 KB publication)
// after copying it into its unpacker, then converted the top array into a
// vector; that was a sixth of the adapter's WAMP thread. A tape is one
// vector reused from message to message, filled by one tight loop.
//
// The tape reads values exactly as msgpack-c's unpack does, so that
// MsgpackTapeView and MsgpackView (over msgpack-c's objects) are the same
// view of the same bytes (tests/fuzz/msgpack_tape_fuzz.cc compares them):
// a signed integer that is not negative is a positive integer, float32 is
// widened, old-spec raw is str, bin and ext are kept as such (the reader
// refuses them).
//
// Hostile bytes: nothing is reserved that the bytes cannot fill (the items
// that containers claim, over all open containers, never exceed the bytes
// left), so a tape holds at most one node, 16 bytes, per byte read; no
// recursion while reading.
#ifndef OCS_INFLUX_OCS_ADAPTER_MSGPACK_TAPE_H_
#define OCS_INFLUX_OCS_ADAPTER_MSGPACK_TAPE_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "service/core/value_view.h"

namespace ocs_influx::ocs_adapter {

class MsgpackTapeView;

class MsgpackTape {
 public:
  // The kinds msgpack-c's unpack gives (msgpack::type::object_type).
  enum class Type : uint8_t {
    kNil, kBool, kPositive, kNegative, kFloat32, kFloat64, kStr, kBin, kExt, kArray, kMap
  };
  struct Node {
    Type type;
    // str, bin, ext: bytes; array: items; map: members (2 nodes each).
    uint32_t size;
    union {
      bool boolean;
      uint64_t u64;
      int64_t i64;
      double f64;
      const char* ptr;  // str, bin, ext: into the bytes read
      uint32_t first;   // array, map: index of the first item (map: key, value, ...)
    } via;
  };

  // Reads `bytes`, which must be exactly one complete object; false (and
  // nothing to view) otherwise. Strings point into `bytes`, which must
  // outlive the views; the next Read or Trim ends every view.
  bool Read(absl::string_view bytes);
  // The object read; only after Read returned true.
  MsgpackTapeView root() const;
  // Gives back the memory of a tape that grew past what a usual message
  // needs (a hostile or huge one), so that one such message does not keep
  // 16 bytes per byte of it for the adapter's lifetime.
  void Trim();

 private:
  // Nodes [0, used_) are this message's; the rest are left from larger ones.
  void Use(uint32_t nodes);
  std::vector<Node> nodes_;
  uint32_t used_ = 0;
  // Containers being filled: (next slot, end slot).
  std::vector<std::pair<uint32_t, uint32_t>> open_;
};

class MsgpackTapeView {
 public:
  MsgpackTapeView(const MsgpackTape::Node* nodes, const MsgpackTape::Node* node)
      : nodes_(nodes), n_(node) {}

  // The same kinds as MsgpackView: positive integers above INT64_MAX are
  // kUint, other integers kInt, float32 and float64 kDouble, bin and ext
  // kOther.
  core::ValueKind kind() const {
    using T = MsgpackTape::Type;
    switch (n_->type) {
      case T::kNil: return core::ValueKind::kNull;
      case T::kBool: return core::ValueKind::kBool;
      case T::kPositive:
        return n_->via.u64 > static_cast<uint64_t>(INT64_MAX) ? core::ValueKind::kUint
                                                              : core::ValueKind::kInt;
      case T::kNegative: return core::ValueKind::kInt;
      case T::kFloat32:
      case T::kFloat64: return core::ValueKind::kDouble;
      case T::kStr: return core::ValueKind::kString;
      case T::kArray: return core::ValueKind::kArray;
      case T::kMap: return core::ValueKind::kMap;
      default: return core::ValueKind::kOther;
    }
  }
  bool bool_value() const { return n_->via.boolean; }
  int64_t int_value() const { return n_->via.i64; }
  uint64_t uint_value() const { return n_->via.u64; }
  double double_value() const { return n_->via.f64; }
  absl::string_view string_value() const { return absl::string_view(n_->via.ptr, n_->size); }
  uint32_t size() const { return n_->size; }
  MsgpackTapeView item(uint32_t i) const {
    return MsgpackTapeView(nodes_, nodes_ + n_->via.first + i);
  }
  // A key that is not a string reads as empty (KeysReadable refuses it).
  absl::string_view key(uint32_t i) const {
    const MsgpackTape::Node& k = nodes_[n_->via.first + 2 * i];
    if (k.type != MsgpackTape::Type::kStr) return absl::string_view();
    return absl::string_view(k.via.ptr, k.size);
  }
  MsgpackTapeView value(uint32_t i) const {
    return MsgpackTapeView(nodes_, nodes_ + n_->via.first + 2 * i + 1);
  }
  bool same(const MsgpackTapeView& other) const { return n_ == other.n_; }

  // FromMsgpack's rules (msgpack_codec.h), as MsgpackView applies them.
  static constexpr bool kCheckReadable = true;
  static bool KeysReadable(const MsgpackTapeView& map);
  static bool Readable(const MsgpackTapeView& v, int depth);

 private:
  const MsgpackTape::Node* nodes_;
  const MsgpackTape::Node* n_;
};

// The parts of a WAMP EVENT message that the adapter reads:
//   [36, Subscription|id, Publication|id, Details|dict, Arguments|list?, ArgumentsKw|dict?]
struct WampEvent {
  uint64_t subscription = 0;
  bool has_arg0 = false;
  absl::string_view arg0;  // the first positional argument's bytes
};

// The length of the first complete object in `bytes`; 0 if there is none.
size_t MsgpackObjectLength(absl::string_view bytes);

// Whether `message` is exactly one EVENT that autobahn-cpp would accept
// (its checks in wamp_session::process_event); fills `event` if so. Any
// bytes: true means the whole message was walked and every item it claims
// is there (so it passes WellFormedMsgpack, and so does `event.arg0`).
// False for anything else, which then goes to autobahn-cpp as before.
bool ReadWampEvent(absl::string_view message, WampEvent* event);

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_MSGPACK_TAPE_H_
