#include "ocs_adapter/msgpack_tape.h"

#include <cstring>
#include <limits>

#include "common/utf8/utf8.h"
#include "ocs_adapter/msgpack_codec.h"

namespace ocs_influx::ocs_adapter {
namespace {

using Node = MsgpackTape::Node;
using Type = MsgpackTape::Type;

// Past this many nodes (16 MiB) a tape is given back after use: a usual
// publication of 100 rows of 16 floats needs about 1,700.
constexpr size_t kKeptNodes = size_t{1} << 20;

// A big-endian number of W bytes at `p`, moved past; false if the bytes
// end first.
template <int W>
inline bool Take(const char*& p, const char* end, uint64_t* out) {
  if (end - p < W) return false;
  if constexpr (W == 1) {
    *out = static_cast<uint8_t>(*p);
  } else if constexpr (W == 2) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    *out = __builtin_bswap16(v);
  } else if constexpr (W == 4) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    *out = __builtin_bswap32(v);
  } else {
    uint64_t v;
    std::memcpy(&v, p, 8);
    *out = __builtin_bswap64(v);
  }
  p += W;
  return true;
}

// Reads the item at `p` into `node` and moves `p` past it, except for a
// container's items: `items` is how many follow (a map's: keys and values).
// False when the bytes end first or on the unused byte 0xc1. Inlined into
// each loop that calls it: it is most of their time.
__attribute__((always_inline)) inline bool ReadItem(const char*& p, const char* end,
                                                    Node* node, uint64_t* items) {
  *items = 0;
  if (p == end) return false;
  const uint8_t b = static_cast<uint8_t>(*p++);
  auto bytes = [&](Type type, uint64_t len) {
    if (len > static_cast<size_t>(end - p)) return false;
    node->type = type;
    node->size = static_cast<uint32_t>(len);
    node->via.ptr = p;
    p += len;
    return true;
  };
  auto container = [&](Type type, uint64_t count, uint64_t per_member) {
    node->type = type;
    node->size = static_cast<uint32_t>(count);
    node->via.first = 0;
    *items = count * per_member;
    return true;
  };
  auto signed_int = [&](int64_t v) {
    // msgpack-c: a signed encoding of a value that is not negative is a
    // positive integer.
    if (v < 0) {
      node->type = Type::kNegative;
      node->via.i64 = v;
    } else {
      node->type = Type::kPositive;
      node->via.u64 = static_cast<uint64_t>(v);
    }
    return true;
  };
  uint64_t v = 0;
  if (b == 0xcb) {  // float64, most of a publication: first
    if (!Take<8>(p, end, &v)) return false;
    node->type = Type::kFloat64;
    std::memcpy(&node->via.f64, &v, sizeof(double));
    return true;
  }
  if (b <= 0x7f) {
    node->type = Type::kPositive;
    node->via.u64 = b;
    return true;
  }
  if (b >= 0xe0) return signed_int(static_cast<int8_t>(b));
  if (b <= 0x8f) return container(Type::kMap, b & 0x0fu, 2);
  if (b <= 0x9f) return container(Type::kArray, b & 0x0fu, 1);
  if (b <= 0xbf) return bytes(Type::kStr, b & 0x1fu);
  switch (b) {
    case 0xc0: node->type = Type::kNil; return true;
    case 0xc2:
    case 0xc3:
      node->type = Type::kBool;
      node->via.u64 = 0;
      node->via.boolean = b == 0xc3;
      return true;
    case 0xc4: return Take<1>(p, end, &v) && bytes(Type::kBin, v);
    case 0xc5: return Take<2>(p, end, &v) && bytes(Type::kBin, v);
    case 0xc6: return Take<4>(p, end, &v) && bytes(Type::kBin, v);
    case 0xc7: return Take<1>(p, end, &v) && bytes(Type::kExt, v + 1);  // + the ext type
    case 0xc8: return Take<2>(p, end, &v) && bytes(Type::kExt, v + 1);
    case 0xc9: return Take<4>(p, end, &v) && bytes(Type::kExt, v + 1);
    case 0xca: {
      if (!Take<4>(p, end, &v)) return false;
      const uint32_t bits = static_cast<uint32_t>(v);
      float f;
      std::memcpy(&f, &bits, sizeof(f));
      node->type = Type::kFloat32;
      node->via.f64 = f;
      return true;
    }
    case 0xcc: node->type = Type::kPositive; return Take<1>(p, end, &node->via.u64);
    case 0xcd: node->type = Type::kPositive; return Take<2>(p, end, &node->via.u64);
    case 0xce: node->type = Type::kPositive; return Take<4>(p, end, &node->via.u64);
    case 0xcf: node->type = Type::kPositive; return Take<8>(p, end, &node->via.u64);
    case 0xd0: return Take<1>(p, end, &v) && signed_int(static_cast<int8_t>(v));
    case 0xd1: return Take<2>(p, end, &v) && signed_int(static_cast<int16_t>(v));
    case 0xd2: return Take<4>(p, end, &v) && signed_int(static_cast<int32_t>(v));
    case 0xd3: return Take<8>(p, end, &v) && signed_int(static_cast<int64_t>(v));
    case 0xd4: return bytes(Type::kExt, 2);  // fixext 1, 2, 4, 8, 16 and the type
    case 0xd5: return bytes(Type::kExt, 3);
    case 0xd6: return bytes(Type::kExt, 5);
    case 0xd7: return bytes(Type::kExt, 9);
    case 0xd8: return bytes(Type::kExt, 17);
    case 0xd9: return Take<1>(p, end, &v) && bytes(Type::kStr, v);
    case 0xda: return Take<2>(p, end, &v) && bytes(Type::kStr, v);
    case 0xdb: return Take<4>(p, end, &v) && bytes(Type::kStr, v);
    case 0xdc: return Take<2>(p, end, &v) && container(Type::kArray, v, 1);
    case 0xdd: return Take<4>(p, end, &v) && container(Type::kArray, v, 1);
    case 0xde: return Take<2>(p, end, &v) && container(Type::kMap, v, 2);
    case 0xdf: return Take<4>(p, end, &v) && container(Type::kMap, v, 2);
    default: return false;  // 0xc1
  }
}

// Moves `p` past `count` items, their contents included.
bool Skip(const char*& p, const char* end, uint64_t count) {
  Node node;
  while (count > 0) {
    // Most of a publication is float64s (0xcb and 8 bytes): stepped over
    // without decoding them.
    if (end - p >= 9 && static_cast<uint8_t>(*p) == 0xcb) {
      p += 9;
      --count;
      continue;
    }
    uint64_t items;
    // Each item takes a byte at least: the loop ends with the bytes.
    if (!ReadItem(p, end, &node, &items)) return false;
    count += items - 1;
  }
  return true;
}

}  // namespace

bool MsgpackTape::Read(absl::string_view bytes) {
  used_ = 0;
  open_.clear();
  if (bytes.size() >= std::numeric_limits<uint32_t>::max()) return false;
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  Use(1);
  uint32_t slot = 0, slot_end = 1;
  // Slots reserved and not yet read: each needs a byte at least.
  uint64_t unfilled = 1;
  while (true) {
    while (slot == slot_end) {
      if (open_.empty()) {
        if (p == end) return true;
        used_ = 0;  // more than one object
        return false;
      }
      slot = open_.back().first;
      slot_end = open_.back().second;
      open_.pop_back();
    }
    Node node;
    uint64_t items;
    if (!ReadItem(p, end, &node, &items)) {
      used_ = 0;
      return false;
    }
    --unfilled;
    const uint64_t left = static_cast<uint64_t>(end - p);
    if (unfilled > left || items > left - unfilled) {
      used_ = 0;  // the items claimed outnumber the bytes left
      return false;
    }
    const uint32_t at = slot++;
    if (items == 0) {
      nodes_[at] = node;
      continue;
    }
    const uint32_t first = used_;
    node.via.first = first;
    nodes_[at] = node;
    open_.emplace_back(slot, slot_end);
    slot = first;
    slot_end = first + static_cast<uint32_t>(items);
    unfilled += items;
    Use(slot_end);
  }
}

void MsgpackTape::Use(uint32_t nodes) {
  // The vector keeps its size from message to message: resizing it per
  // message zeroed every node before it was written.
  if (nodes > nodes_.size()) nodes_.resize(nodes);
  used_ = nodes;
}

MsgpackTapeView MsgpackTape::root() const {
  return MsgpackTapeView(nodes_.data(), nodes_.data());
}

void MsgpackTape::Trim() {
  if (nodes_.capacity() > kKeptNodes) {
    std::vector<Node>().swap(nodes_);
    used_ = 0;
  }
  if (open_.capacity() > kKeptNodes) std::vector<std::pair<uint32_t, uint32_t>>().swap(open_);
}

bool MsgpackTapeView::KeysReadable(const MsgpackTapeView& map) {
  for (uint32_t i = 0; i < map.n_->size; ++i) {
    const MsgpackTape::Node& k = map.nodes_[map.n_->via.first + 2 * i];
    if (k.type != Type::kStr || !utf8::IsValid(absl::string_view(k.via.ptr, k.size))) {
      return false;
    }
  }
  return true;
}

bool MsgpackTapeView::Readable(const MsgpackTapeView& v, int depth) {
  // MsgpackReadable's rules (msgpack_codec.cc), over the tape.
  switch (v.n_->type) {
    case Type::kNil:
    case Type::kBool:
    case Type::kPositive:
    case Type::kNegative:
    case Type::kFloat32:
    case Type::kFloat64:
      return true;
    case Type::kStr:
      return utf8::IsValid(v.string_value());
    case Type::kArray:
      if (v.size() > 0 && depth >= core::kMaxValueDepth) return false;
      for (uint32_t i = 0; i < v.size(); ++i) {
        if (!Readable(v.item(i), depth + 1)) return false;
      }
      return true;
    case Type::kMap:
      if (v.size() > 0 && depth >= core::kMaxValueDepth) return false;
      if (!KeysReadable(v)) return false;
      for (uint32_t i = 0; i < v.size(); ++i) {
        if (!Readable(v.value(i), depth + 1)) return false;
      }
      return true;
    default:
      return false;
  }
}

// msgpack_codec.h's check, here beside the one item reader it shares with
// the tape and the envelope.
bool WellFormedMsgpack(absl::string_view bytes) {
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  if (p == end) return false;
  Node node;
  while (p < end) {
    // Items still to read over all open containers: each needs a byte.
    uint64_t pending = 1;
    while (pending > 0) {
      uint64_t items;
      if (!ReadItem(p, end, &node, &items)) return false;
      pending += items - 1;
      if (pending > static_cast<uint64_t>(end - p)) return false;
    }
  }
  return true;
}

size_t MsgpackObjectLength(absl::string_view bytes) {
  const char* p = bytes.data();
  if (!Skip(p, p + bytes.size(), 1)) return 0;
  return static_cast<size_t>(p - bytes.data());
}

bool ReadWampEvent(absl::string_view message, WampEvent* event) {
  const char* p = message.data();
  const char* const end = p + message.size();
  Node top, field;
  uint64_t items;
  if (!ReadItem(p, end, &top, &items) || top.type != Type::kArray || top.size < 4 ||
      top.size > 6) {
    return false;
  }
  // Code, subscription, publication: positive integers (autobahn-cpp's
  // is_field_type(POSITIVE_INTEGER)).
  uint64_t ids[3];
  for (uint64_t& id : ids) {
    if (!ReadItem(p, end, &field, &items) || field.type != Type::kPositive) return false;
    id = field.via.u64;
  }
  if (ids[0] != 36) return false;
  if (!ReadItem(p, end, &field, &items) || field.type != Type::kMap || !Skip(p, end, items)) {
    return false;
  }
  WampEvent out;
  out.subscription = ids[1];
  if (top.size > 4) {
    if (!ReadItem(p, end, &field, &items) || field.type != Type::kArray) return false;
    if (items > 0) {
      const char* arg0 = p;
      if (!Skip(p, end, 1)) return false;
      out.has_arg0 = true;
      out.arg0 = absl::string_view(arg0, static_cast<size_t>(p - arg0));
      if (!Skip(p, end, items - 1)) return false;
    }
  }
  if (top.size > 5) {
    if (!ReadItem(p, end, &field, &items) || field.type != Type::kMap || !Skip(p, end, items)) {
      return false;
    }
  }
  if (p != end) return false;  // more than one message: autobahn-cpp reads them all
  *event = out;
  return true;
}

}  // namespace ocs_influx::ocs_adapter
