#include "ocs_adapter/msgpack_feed_fast.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "ocs_adapter/msgpack_codec.h"
#include "service/core/publication.h"

namespace ocs_influx::ocs_adapter {
namespace {

using msgpack::object;
namespace type = msgpack::type;
using ocs::influx::v1::Block;
using ocs::influx::v1::Column;
using ocs::influx::v1::OcsFeed;

absl::string_view Text(const object& o) {
  return absl::string_view(o.via.str.ptr, o.via.str.size);
}

bool IsKey(const object& key, absl::string_view name) {
  return key.type == type::STR && Text(key) == name;
}

// Whether the keys of `map` are what both paths take alike: strings of
// valid UTF-8 (FromMsgpack's rule), none repeated. The general path keeps
// the last value of a repeated key but the first position; rather than copy
// that rule, maps with repeats go there. Linear: a publication may hold tens
// of thousands of keys in one map, and this runs on the WAMP thread.
bool PlainKeys(const object& map) {
  const uint32_t n = map.via.map.size;
  for (uint32_t i = 0; i < n; ++i) {
    const object& key = map.via.map.ptr[i].key;
    if (key.type != type::STR || !core::IsValidUtf8(Text(key))) return false;
  }
  if (n <= 16) {
    // Typical blocks and feeds: a few keys, cheaper without a hash set.
    for (uint32_t i = 1; i < n; ++i) {
      absl::string_view key = Text(map.via.map.ptr[i].key);
      for (uint32_t j = 0; j < i; ++j) {
        if (Text(map.via.map.ptr[j].key) == key) return false;
      }
    }
    return true;
  }
  // Kept by the thread: a table of up to 127 slots (what absl's clear()
  // keeps) is reused from one publication to the next, not allocated for
  // each.
  thread_local absl::flat_hash_set<absl::string_view> seen;
  seen.clear();
  seen.reserve(n);
  bool plain = true;
  for (uint32_t i = 0; i < n && plain; ++i) {
    plain = seen.insert(Text(map.via.map.ptr[i].key)).second;
  }
  seen.clear();  // its views point into this message
  return plain;
}

const object* Find(const object& map, absl::string_view name) {
  for (uint32_t i = 0; i < map.via.map.size; ++i) {
    if (IsKey(map.via.map.ptr[i].key, name)) return &map.via.map.ptr[i].val;
  }
  return nullptr;
}

bool IsInt64(const object& o) {
  return o.type == type::NEGATIVE_INTEGER ||
         (o.type == type::POSITIVE_INTEGER &&
          o.via.u64 <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
}

// The general path's Truthy(): a bool, or an int64 other than zero.
bool Truthy(const object* o) {
  if (o == nullptr) return false;
  if (o->type == type::BOOLEAN) return o->via.boolean;
  if (IsInt64(*o)) return o->via.i64 != 0;
  return false;
}

double Number(const object* o) {
  if (o == nullptr) return 0.0;
  if (o->type == type::FLOAT32 || o->type == type::FLOAT64) return o->via.f64;
  if (IsInt64(*o)) return static_cast<double>(o->via.i64);
  return 0.0;
}

// Optional string members: only strings are taken here.
bool OptionalString(const object& map, absl::string_view name, std::string* out) {
  const object* v = Find(map, name);
  if (v == nullptr || v->type == type::NIL) return true;
  if (v->type != type::STR) return false;
  out->assign(v->via.str.ptr, v->via.str.size);
  return true;
}

bool FillColumn(const object& list, Column* column) {
  if (list.type != type::ARRAY) return false;
  const uint32_t n = list.via.array.size;
  const object* items = list.via.array.ptr;
  if (n == 0) {
    column->mutable_doubles();
    return true;
  }
  // One type for the whole column, as the general path; mixed columns go
  // there. Numbers are checked as they are copied: one loop over a column.
  const type::object_type first = items[0].type;
  if (first == type::FLOAT32 || first == type::FLOAT64) {
    auto* values = column->mutable_doubles()->mutable_values();
    values->Resize(static_cast<int>(n), 0.0);
    double* out = values->mutable_data();
    for (uint32_t i = 0; i < n; ++i) {
      if (items[i].type != type::FLOAT64 && items[i].type != type::FLOAT32) return false;
      out[i] = items[i].via.f64;
    }
    return true;
  }
  if (IsInt64(items[0])) {
    auto* values = column->mutable_ints()->mutable_values();
    values->Resize(static_cast<int>(n), 0);
    int64_t* out = values->mutable_data();
    for (uint32_t i = 0; i < n; ++i) {
      if (!IsInt64(items[i])) return false;
      out[i] = items[i].via.i64;
    }
    return true;
  }
  for (uint32_t i = 1; i < n; ++i) {
    if (items[i].type != first) return false;
  }
  if (first == type::BOOLEAN) {
    auto* values = column->mutable_bools()->mutable_values();
    values->Reserve(static_cast<int>(n));
    for (uint32_t i = 0; i < n; ++i) values->Add(items[i].via.boolean);
  } else if (first == type::STR) {
    auto* values = column->mutable_strings()->mutable_values();
    values->Reserve(static_cast<int>(n));
    for (uint32_t i = 0; i < n; ++i) {
      if (!core::IsValidUtf8(Text(items[i]))) return false;
      values->Add()->assign(items[i].via.str.ptr, items[i].via.str.size);
    }
  } else {
    return false;  // nulls and the like: the general path
  }
  return true;
}

// `value` sits at depth 2 (args[0][0].<block>); what is not read here is
// checked with MsgpackReadable from its own depth.
bool FillBlock(const object& key, const object& value, Block* block) {
  if (value.type != type::MAP || !PlainKeys(value)) return false;
  const object* name = nullptr;
  const object* timestamps = nullptr;
  const object* data = nullptr;
  for (uint32_t i = 0; i < value.via.map.size; ++i) {
    const msgpack::object_kv& kv = value.via.map.ptr[i];
    const absl::string_view member = Text(kv.key);
    if (member == "timestamps") {
      timestamps = &kv.val;
    } else if (member == "data") {
      data = &kv.val;
    } else {
      if (member == "block_name") name = &kv.val;
      if (!MsgpackReadable(kv.val, 3)) return false;
    }
  }
  if (name != nullptr && name->type == type::STR) {
    block->set_block_name(name->via.str.ptr, name->via.str.size);
  } else {
    block->set_block_name(key.via.str.ptr, key.via.str.size);
  }
  if (timestamps == nullptr || timestamps->type != type::ARRAY) return false;
  const uint32_t n = timestamps->via.array.size;
  auto* out = block->mutable_timestamps();
  out->Resize(static_cast<int>(n), 0.0);
  double* t = out->mutable_data();
  for (uint32_t i = 0; i < n; ++i) {
    const object& item = timestamps->via.array.ptr[i];
    if (item.type == type::FLOAT32 || item.type == type::FLOAT64) {
      t[i] = item.via.f64;
    } else if (item.type == type::POSITIVE_INTEGER) {
      t[i] = static_cast<double>(item.via.u64);
    } else if (item.type == type::NEGATIVE_INTEGER) {
      t[i] = static_cast<double>(item.via.i64);
    } else {
      return false;
    }
  }
  if (data == nullptr || data->type != type::MAP || !PlainKeys(*data)) return false;
  block->mutable_columns()->Reserve(static_cast<int>(data->via.map.size));
  for (uint32_t i = 0; i < data->via.map.size; ++i) {
    const msgpack::object_kv& kv = data->via.map.ptr[i];
    Column* column = block->add_columns();
    column->set_name(kv.key.via.str.ptr, kv.key.via.str.size);
    if (!FillColumn(kv.val, column)) return false;
  }
  return true;
}

}  // namespace

bool FastPublicationToFeed(const object& arg0, OcsFeed* feed) {
  feed->Clear();
  if (arg0.type != type::ARRAY || arg0.via.array.size != 2) return false;
  const object& message = arg0.via.array.ptr[0];
  const object& encoded = arg0.via.array.ptr[1];
  if (encoded.type != type::MAP || !PlainKeys(encoded)) return false;
  // The feed's members: few and small, each checked whole from depth 2.
  for (uint32_t i = 0; i < encoded.via.map.size; ++i) {
    if (!MsgpackReadable(encoded.via.map.ptr[i].val, 2)) return false;
  }
  const object* address = Find(encoded, "agent_address");
  const object* name = Find(encoded, "feed_name");
  if (address == nullptr || address->type != type::STR || name == nullptr ||
      name->type != type::STR) {
    return false;
  }
  feed->set_agent_address(address->via.str.ptr, address->via.str.size);
  feed->set_feed_name(name->via.str.ptr, name->via.str.size);
  if (!OptionalString(encoded, "session_id", feed->mutable_session_id()) ||
      !OptionalString(encoded, "agent_class", feed->mutable_agent_class())) {
    return false;
  }
  feed->set_record(Truthy(Find(encoded, "record")));
  if (const object* agg = Find(encoded, "agg_params"); agg != nullptr && agg->type == type::MAP) {
    if (!PlainKeys(*agg)) return false;
    auto* params = feed->mutable_agg_params();
    params->set_exclude_influx(Truthy(Find(*agg, "exclude_influx")));
    params->set_exclude_aggregator(Truthy(Find(*agg, "exclude_aggregator")));
    params->set_frame_length(Number(Find(*agg, "frame_length")));
    params->set_fresh_time(Number(Find(*agg, "fresh_time")));
  }
  if (!feed->record() || feed->agg_params().exclude_influx()) {
    // Not converted, but the general path reads it all the same.
    return MsgpackReadable(message, 1);
  }
  if (message.type != type::MAP || !PlainKeys(message)) return false;
  feed->mutable_blocks()->Reserve(static_cast<int>(message.via.map.size));
  for (uint32_t i = 0; i < message.via.map.size; ++i) {
    const msgpack::object_kv& kv = message.via.map.ptr[i];
    if (!FillBlock(kv.key, kv.val, feed->add_blocks())) return false;
  }
  return true;
}

}  // namespace ocs_influx::ocs_adapter
