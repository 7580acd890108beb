// A read-only view of one value, whatever holds it: the interface that the
// OCS publication reader (publication_reader.h) reads through, so that one
// reader serves the JSON value tree (DynamicValueView, below) and the
// adapter's MessagePack objects (ocs_adapter/msgpack_view.h).
//
// A view is a small copyable handle (a pointer). The reader is a template
// over the view type: every access is a direct, inlinable call, no virtual
// call per value (the MessagePack path is the adapter's hot path).
//
// What a view type V provides:
//   ValueKind kind() const;
//   bool bool_value() const; int64_t int_value() const;
//   uint64_t uint_value() const; double double_value() const;
//   absl::string_view string_value() const;
//   uint32_t size() const;                  // items of an array, members of a map
//   V item(uint32_t i) const;               // an array's item
//   absl::string_view key(uint32_t i) const;  // a map member's key
//   V value(uint32_t i) const;              // a map member's value
//   bool same(const V& other) const;        // the same value, not an equal one
//   static constexpr bool kCheckReadable;
//   static bool KeysReadable(const V& map);
//   static bool Readable(const V& v, int depth);
//
// kCheckReadable: whether the source holds values that the tree cannot
// (MessagePack: bin, ext, keys that are not strings, strings that are not
// UTF-8, nesting past kMaxValueDepth). If so, the reader checks with
// KeysReadable every map it reads and with Readable(v, depth) every value it
// skips, and fails where they say no: it succeeds only on what would read
// into a tree. For the tree, both are never called.
#ifndef OCS_INFLUX_SERVICE_CORE_VALUE_VIEW_H_
#define OCS_INFLUX_SERVICE_CORE_VALUE_VIEW_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "service/core/dynamic_value.h"

namespace ocs_influx::core {

// kOther: something no DynamicValue holds (MessagePack bin, ext).
enum class ValueKind : uint8_t {
  kNull, kBool, kInt, kUint, kBigInt, kDouble, kString, kArray, kMap, kOther
};

class DynamicValueView {
 public:
  explicit DynamicValueView(const DynamicValue& v) : v_(&v) {}

  ValueKind kind() const {
    switch (v_->type) {
      case DynamicValue::Type::kNull: return ValueKind::kNull;
      case DynamicValue::Type::kBool: return ValueKind::kBool;
      case DynamicValue::Type::kInt: return ValueKind::kInt;
      case DynamicValue::Type::kUint: return ValueKind::kUint;
      case DynamicValue::Type::kBigInt: return ValueKind::kBigInt;
      case DynamicValue::Type::kDouble: return ValueKind::kDouble;
      case DynamicValue::Type::kString: return ValueKind::kString;
      case DynamicValue::Type::kArray: return ValueKind::kArray;
      case DynamicValue::Type::kObject: return ValueKind::kMap;
    }
    return ValueKind::kOther;
  }
  bool bool_value() const { return v_->bool_value; }
  int64_t int_value() const { return v_->int_value; }
  uint64_t uint_value() const { return v_->uint_value; }
  double double_value() const { return v_->double_value; }
  absl::string_view string_value() const { return v_->string_value; }
  uint32_t size() const {
    return static_cast<uint32_t>(v_->type == DynamicValue::Type::kArray
                                     ? v_->items.size()
                                     : v_->members.size());
  }
  DynamicValueView item(uint32_t i) const { return DynamicValueView(v_->items[i]); }
  absl::string_view key(uint32_t i) const { return v_->members[i].first; }
  DynamicValueView value(uint32_t i) const {
    return DynamicValueView(v_->members[i].second);
  }
  bool same(const DynamicValueView& other) const { return v_ == other.v_; }

  static constexpr bool kCheckReadable = false;
  static bool KeysReadable(const DynamicValueView&) { return true; }
  static bool Readable(const DynamicValueView&, int) { return true; }

 private:
  const DynamicValue* v_;
};

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_VALUE_VIEW_H_
