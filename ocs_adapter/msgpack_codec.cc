#include "ocs_adapter/msgpack_codec.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/utf8/utf8.h"
#include "service/core/publication.h"

namespace ocs_influx::ocs_adapter {
namespace {

using core::DynamicValue;
using Type = DynamicValue::Type;

// One step of the path to the value being read: an array index, or a map
// key (pointing into the msgpack object, which outlives the read).
struct PathStep {
  bool is_key = false;
  const char* key = nullptr;
  size_t key_size = 0;
  size_t index = 0;
};

class Reader {
 public:
  explicit Reader(absl::string_view where) : where_(where) {}

  absl::Status Read(const msgpack::object& o, DynamicValue* out, int depth) {
    *out = DynamicValue();
    switch (o.type) {
      case msgpack::type::NIL:
        out->type = Type::kNull;
        return absl::OkStatus();
      case msgpack::type::BOOLEAN:
        out->type = Type::kBool;
        out->bool_value = o.via.boolean;
        return absl::OkStatus();
      case msgpack::type::POSITIVE_INTEGER:
        if (o.via.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          out->type = Type::kUint;
          out->uint_value = o.via.u64;
        } else {
          out->type = Type::kInt;
          out->int_value = static_cast<int64_t>(o.via.u64);
        }
        return absl::OkStatus();
      case msgpack::type::NEGATIVE_INTEGER:
        out->type = Type::kInt;
        out->int_value = o.via.i64;
        return absl::OkStatus();
      case msgpack::type::FLOAT32:
      case msgpack::type::FLOAT64:
        out->type = Type::kDouble;
        out->double_value = o.via.f64;
        return absl::OkStatus();
      case msgpack::type::STR: {
        absl::string_view text(o.via.str.ptr, o.via.str.size);
        if (!utf8::IsValid(text)) return Error("a string is not valid UTF-8");
        out->type = Type::kString;
        out->string_value.assign(text.data(), text.size());
        return absl::OkStatus();
      }
      case msgpack::type::BIN:
        return Error(absl::StrCat("binary data (msgpack bin, ", o.via.bin.size,
                                  " bytes) where a value was expected"));
      case msgpack::type::EXT:
        return Error(absl::StrCat("a msgpack extension (type ",
                                  static_cast<int>(o.via.ext.type()),
                                  ") where a value was expected"));
      case msgpack::type::ARRAY: {
        // Items would sit deeper than the JSON reader allows.
        if (o.via.array.size > 0 && depth >= core::kMaxValueDepth) {
          return Error("nested too deeply");
        }
        out->type = Type::kArray;
        out->items.resize(o.via.array.size);
        path_.emplace_back();
        for (uint32_t i = 0; i < o.via.array.size; ++i) {
          path_.back().index = i;
          if (absl::Status s = Read(o.via.array.ptr[i], &out->items[i], depth + 1);
              !s.ok()) {
            return s;
          }
        }
        path_.pop_back();
        return absl::OkStatus();
      }
      case msgpack::type::MAP: {
        if (o.via.map.size > 0 && depth >= core::kMaxValueDepth) {
          return Error("nested too deeply");
        }
        out->type = Type::kObject;
        out->members.resize(o.via.map.size);
        for (uint32_t i = 0; i < o.via.map.size; ++i) {
          const msgpack::object_kv& kv = o.via.map.ptr[i];
          if (kv.key.type != msgpack::type::STR) {
            return Error(absl::StrCat("map key #", i, " (", KeyText(kv.key),
                                      ") is not a string; keys must be"));
          }
          absl::string_view key(kv.key.via.str.ptr, kv.key.via.str.size);
          if (!utf8::IsValid(key)) {
            return Error(absl::StrCat("map key #", i, " is not valid UTF-8"));
          }
          out->members[i].first.assign(key.data(), key.size());
          path_.push_back(PathStep{true, key.data(), key.size(), 0});
          if (absl::Status s = Read(kv.val, &out->members[i].second, depth + 1);
              !s.ok()) {
            return s;
          }
          path_.pop_back();
        }
        return absl::OkStatus();
      }
    }
    return Error(absl::StrCat("unknown msgpack type ", static_cast<int>(o.type)));
  }

 private:
  static const char* TypeName(msgpack::type::object_type type) {
    switch (type) {
      case msgpack::type::NIL: return "nil";
      case msgpack::type::BOOLEAN: return "a boolean";
      case msgpack::type::POSITIVE_INTEGER:
      case msgpack::type::NEGATIVE_INTEGER: return "an integer";
      case msgpack::type::FLOAT32:
      case msgpack::type::FLOAT64: return "a float";
      case msgpack::type::STR: return "a string";
      case msgpack::type::BIN: return "binary data";
      case msgpack::type::ARRAY: return "an array";
      case msgpack::type::MAP: return "a map";
      case msgpack::type::EXT: return "an extension";
    }
    return "of unknown type";
  }

  static std::string KeyText(const msgpack::object& key) {
    switch (key.type) {
      case msgpack::type::NIL: return "nil";
      case msgpack::type::BOOLEAN: return key.via.boolean ? "true" : "false";
      case msgpack::type::POSITIVE_INTEGER: return absl::StrCat("integer ", key.via.u64);
      case msgpack::type::NEGATIVE_INTEGER: return absl::StrCat("integer ", key.via.i64);
      case msgpack::type::FLOAT32:
      case msgpack::type::FLOAT64: return absl::StrCat("float ", key.via.f64);
      default: return TypeName(key.type);
    }
  }

  // "args[0][1].data.x: why". Keys that are not plain names are quoted;
  // long keys are cut.
  absl::Status Error(absl::string_view why) const {
    std::string where(where_.data(), where_.size());
    for (const PathStep& step : path_) {
      if (!step.is_key) {
        absl::StrAppend(&where, "[", step.index, "]");
        continue;
      }
      absl::string_view key(step.key, std::min<size_t>(step.key_size, 64));
      bool plain = !key.empty();
      for (char c : key) {
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-')) {
          plain = false;
        }
      }
      const char* cut = step.key_size > key.size() ? "..." : "";
      if (plain) {
        absl::StrAppend(&where, ".", key, cut);
      } else {
        std::string quoted;
        for (char c : key) {
          unsigned char u = static_cast<unsigned char>(c);
          if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
            absl::StrAppend(&quoted, "\\x", absl::Hex(u, absl::kZeroPad2));
          } else {
            quoted.push_back(c);
          }
        }
        absl::StrAppend(&where, "[\"", quoted, cut, "\"]");
      }
    }
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", why));
  }

  absl::string_view where_;
  std::vector<PathStep> path_;
};

void SetStr(const std::string& s, msgpack::zone& zone, msgpack::object* out) {
  char* p = static_cast<char*>(zone.allocate_align(s.size() == 0 ? 1 : s.size(),
                                                   MSGPACK_ZONE_ALIGNOF(char)));
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  out->type = msgpack::type::STR;
  out->via.str.ptr = p;
  out->via.str.size = static_cast<uint32_t>(s.size());
}

}  // namespace

absl::Status FromMsgpack(const msgpack::object& o, core::DynamicValue* out,
                         absl::string_view where) {
  Reader reader(where);
  return reader.Read(o, out, 0);
}

void ToMsgpackObject(const core::DynamicValue& v, msgpack::zone& zone,
                     msgpack::object* out) {
  switch (v.type) {
    case Type::kNull:
    case Type::kBigInt:
      out->type = msgpack::type::NIL;
      break;
    case Type::kBool:
      out->type = msgpack::type::BOOLEAN;
      out->via.boolean = v.bool_value;
      break;
    case Type::kInt:
      if (v.int_value < 0) {
        out->type = msgpack::type::NEGATIVE_INTEGER;
        out->via.i64 = v.int_value;
      } else {
        out->type = msgpack::type::POSITIVE_INTEGER;
        out->via.u64 = static_cast<uint64_t>(v.int_value);
      }
      break;
    case Type::kUint:
      out->type = msgpack::type::POSITIVE_INTEGER;
      out->via.u64 = v.uint_value;
      break;
    case Type::kDouble:
      // Note: msgpack-c 4.1 packs a FLOAT64 object whose value is integral
      // (or -0.0) as an integer; see the header.
      out->type = msgpack::type::FLOAT64;
      out->via.f64 = v.double_value;
      break;
    case Type::kString:
      SetStr(v.string_value, zone, out);
      break;
    case Type::kArray: {
      const size_t n = v.items.size();
      out->type = msgpack::type::ARRAY;
      out->via.array.size = static_cast<uint32_t>(n);
      out->via.array.ptr = nullptr;
      if (n == 0) break;
      auto* items = static_cast<msgpack::object*>(zone.allocate_align(
          sizeof(msgpack::object) * n, MSGPACK_ZONE_ALIGNOF(msgpack::object)));
      for (size_t i = 0; i < n; ++i) {
        new (&items[i]) msgpack::object();
        ToMsgpackObject(v.items[i], zone, &items[i]);
      }
      out->via.array.ptr = items;
      break;
    }
    case Type::kObject: {
      const size_t n = v.members.size();
      out->type = msgpack::type::MAP;
      out->via.map.size = static_cast<uint32_t>(n);
      out->via.map.ptr = nullptr;
      if (n == 0) break;
      auto* kvs = static_cast<msgpack::object_kv*>(zone.allocate_align(
          sizeof(msgpack::object_kv) * n, MSGPACK_ZONE_ALIGNOF(msgpack::object_kv)));
      for (size_t i = 0; i < n; ++i) {
        new (&kvs[i]) msgpack::object_kv();
        SetStr(v.members[i].first, zone, &kvs[i].key);
        ToMsgpackObject(v.members[i].second, zone, &kvs[i].val);
      }
      out->via.map.ptr = kvs;
      break;
    }
  }
}

bool MsgpackReadable(const msgpack::object& o, int depth) {
  // FromMsgpack's rules, checked without building anything.
  switch (o.type) {
    case msgpack::type::NIL:
    case msgpack::type::BOOLEAN:
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER:
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return true;
    case msgpack::type::STR:
      return utf8::IsValid(absl::string_view(o.via.str.ptr, o.via.str.size));
    case msgpack::type::ARRAY:
      if (o.via.array.size > 0 && depth >= core::kMaxValueDepth) return false;
      for (uint32_t i = 0; i < o.via.array.size; ++i) {
        if (!MsgpackReadable(o.via.array.ptr[i], depth + 1)) return false;
      }
      return true;
    case msgpack::type::MAP:
      if (o.via.map.size > 0 && depth >= core::kMaxValueDepth) return false;
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        const msgpack::object_kv& kv = o.via.map.ptr[i];
        if (kv.key.type != msgpack::type::STR ||
            !utf8::IsValid(absl::string_view(kv.key.via.str.ptr, kv.key.via.str.size)) ||
            !MsgpackReadable(kv.val, depth + 1)) {
          return false;
        }
      }
      return true;
    default:
      return false;
  }
}

absl::StatusOr<msgpack::object_handle> UnpackChecked(absl::string_view bytes) {
  if (!WellFormedMsgpack(bytes)) {
    return absl::InvalidArgumentError("not well-formed MessagePack");
  }
  try {
    size_t offset = 0;
    msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size(), offset);
    if (offset != bytes.size()) {
      return absl::InvalidArgumentError("more than one MessagePack object");
    }
    return handle;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not MessagePack: ", e.what()));
  }
}

}  // namespace ocs_influx::ocs_adapter
