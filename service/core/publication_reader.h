// The OCS publication schema, once: an OCS feed publication -- the one
// positional argument `[message, feed]` that an agent publishes on
// `<agent_address>.feeds.<feed_name>` -- read through a value view
// (value_view.h) into the API's OcsFeed. PublicationToFeed (publication.h)
// reads the JSON value tree with it, and the adapter its MessagePack
// objects (ocs_adapter/msgpack_publication.h), so both give the same feed,
// or the same refusal, for the same publication.
//
// Its input is hostile: every shape it does not expect is an error that
// names where, never a crash, and the work is linear in the input (repeated
// keys are found in one pass, not by pairs).
#ifndef OCS_INFLUX_SERVICE_CORE_PUBLICATION_READER_H_
#define OCS_INFLUX_SERVICE_CORE_PUBLICATION_READER_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/utf8/utf8.h"
#include "proto/publisher.pb.h"
#include "service/core/value_view.h"

namespace ocs_influx::core {

// `publication` is the array [message, feed]. For a feed with `record`
// false (heartbeats, ...) only the feed's identity is read: the publisher
// writes nothing for it, whatever its message holds. On error `feed` holds
// what was read so far.
template <typename View>
absl::Status ReadPublication(const View& publication, ocs::influx::v1::OcsFeed* feed);

namespace publication_internal {

// The refusals, out of line: the hot path only tests and branches.
absl::Status NotAPublication();
absl::Status FeedNotADict();
absl::Status MessageNotADict();
absl::Status FeedMemberMissing(absl::string_view key);
absl::Status FeedMemberNotUtf8(absl::string_view key);
absl::Status FeedMemberNotAString(absl::string_view key);
absl::Status BlockNotADict(absl::string_view key);
absl::Status TimestampsNotAList(absl::string_view key);
absl::Status TimestampNotANumber(absl::string_view key);
absl::Status DataNotADict(absl::string_view key);
absl::Status FieldNameNotUtf8(absl::string_view key);
absl::Status ColumnNotAList(absl::string_view block, absl::string_view name);
absl::Status ColumnHoldsAContainer(absl::string_view block, absl::string_view name);
absl::Status ColumnStringNotUtf8(absl::string_view block, absl::string_view name);
// What a tree cannot hold (kCheckReadable views): the caller reads the
// value into a tree for the error that says where.
absl::Status Unreadable();

// Whether a key of `map` repeats. Linear: a publication may hold tens of
// thousands of keys in one map, and the adapter runs this on its WAMP
// thread.
bool RepeatedKeys(const std::vector<absl::string_view>& keys);
template <typename View>
bool RepeatedKeys(const View& map) {
  const uint32_t n = map.size();
  if (n <= 16) {
    // Typical blocks and feeds: a few keys, cheaper without a hash set.
    for (uint32_t i = 1; i < n; ++i) {
      const absl::string_view key = map.key(i);
      for (uint32_t j = 0; j < i; ++j) {
        if (map.key(j) == key) return true;
      }
    }
    return false;
  }
  std::vector<absl::string_view> keys;
  keys.reserve(n);
  for (uint32_t i = 0; i < n; ++i) keys.push_back(map.key(i));
  return RepeatedKeys(keys);
}

// Python's dict: a repeated key keeps its first position and its last
// value. The member indexes to visit, in that order, for a map whose keys
// repeat.
std::vector<uint32_t> DictOrder(const std::vector<absl::string_view>& keys);

// Calls fn(key, value) for each item of `map` as Python's dict holds it.
// Values that a repeated key shadows are not visited; a kCheckReadable
// view checks them at `depth`.
template <typename View, typename Fn>
absl::Status ForEachDictItem(const View& map, int depth, Fn fn) {
  const uint32_t n = map.size();
  if (!RepeatedKeys(map)) {
    for (uint32_t i = 0; i < n; ++i) {
      if (absl::Status s = fn(map.key(i), map.value(i)); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  std::vector<absl::string_view> keys;
  keys.reserve(n);
  for (uint32_t i = 0; i < n; ++i) keys.push_back(map.key(i));
  const std::vector<uint32_t> order = DictOrder(keys);
  if constexpr (View::kCheckReadable) {
    std::vector<bool> visited(n, false);
    for (uint32_t i : order) visited[i] = true;
    for (uint32_t i = 0; i < n; ++i) {
      if (!visited[i] && !View::Readable(map.value(i), depth)) return Unreadable();
    }
  }
  for (uint32_t i : order) {
    if (absl::Status s = fn(map.key(i), map.value(i)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// The last member named `key`, as Python's dict keeps it.
template <typename View>
bool Find(const View& map, absl::string_view key, View* out) {
  for (uint32_t i = map.size(); i > 0; --i) {
    if (map.key(i - 1) == key) {
      *out = map.value(i - 1);
      return true;
    }
  }
  return false;
}

template <typename View>
absl::Status GetString(const View& object, absl::string_view key, bool required,
                       std::string* out) {
  View v = object;
  if (!Find(object, key, &v) || v.kind() == ValueKind::kNull) {
    return required ? FeedMemberMissing(key) : absl::OkStatus();
  }
  switch (v.kind()) {
    case ValueKind::kString: {
      const absl::string_view text = v.string_value();
      if (!utf8::IsValid(text)) return FeedMemberNotUtf8(key);
      out->assign(text.data(), text.size());
      return absl::OkStatus();
    }
    case ValueKind::kInt:  // OCS session ids are sometimes numbers
      *out = std::to_string(v.int_value());
      return absl::OkStatus();
    case ValueKind::kDouble:
      *out = absl::StrCat(v.double_value());
      return absl::OkStatus();
    default:
      return FeedMemberNotAString(key);
  }
}

// A bool, or an int other than zero; anything else (or nothing) is false.
template <typename View>
bool Truthy(const View& map, absl::string_view key) {
  View v = map;
  if (!Find(map, key, &v)) return false;
  switch (v.kind()) {
    case ValueKind::kBool: return v.bool_value();
    case ValueKind::kInt: return v.int_value() != 0;
    default: return false;
  }
}

template <typename View>
double Number(const View& map, absl::string_view key) {
  View v = map;
  if (!Find(map, key, &v)) return 0.0;
  if (v.kind() == ValueKind::kDouble) return v.double_value();
  if (v.kind() == ValueKind::kInt) return static_cast<double>(v.int_value());
  return 0.0;
}

template <typename View>
void SetFieldValue(const View& v, ocs::influx::v1::FieldValue* out) {
  switch (v.kind()) {
    case ValueKind::kBool: out->set_bool_value(v.bool_value()); break;
    case ValueKind::kInt: out->set_int_value(v.int_value()); break;
    case ValueKind::kUint: out->set_uint_value(v.uint_value()); break;
    // Beyond uint64: still an overflow when written, and counted as one.
    case ValueKind::kBigInt: out->set_uint_value(UINT64_MAX); break;
    case ValueKind::kDouble: out->set_double_value(v.double_value()); break;
    case ValueKind::kString: {
      const absl::string_view text = v.string_value();
      out->set_string_value(text.data(), text.size());
      break;
    }
    default: break;  // null: left unset, dropped and counted as null_value
  }
}

// The usual columns, all floats or all ints, copied as they are checked:
// one loop over a column. False (nothing kept) when an item differs.
template <typename View>
bool FillUniformColumn(const View& list, ocs::influx::v1::Column* column) {
  const uint32_t n = list.size();
  const ValueKind first = list.item(0).kind();
  if (first == ValueKind::kDouble) {
    auto* values = column->mutable_doubles()->mutable_values();
    values->Resize(static_cast<int>(n), 0.0);
    double* out = values->mutable_data();
    for (uint32_t i = 0; i < n; ++i) {
      const View item = list.item(i);
      if (item.kind() != ValueKind::kDouble) return false;
      out[i] = item.double_value();
    }
    return true;
  }
  if (first == ValueKind::kInt) {
    auto* values = column->mutable_ints()->mutable_values();
    values->Resize(static_cast<int>(n), 0);
    int64_t* out = values->mutable_data();
    for (uint32_t i = 0; i < n; ++i) {
      const View item = list.item(i);
      if (item.kind() != ValueKind::kInt) return false;
      out[i] = item.int_value();
    }
    return true;
  }
  return false;
}

template <typename View>
absl::Status FillColumn(absl::string_view block_name, absl::string_view name,
                        const View& list, ocs::influx::v1::Column* column) {
  column->set_name(name.data(), name.size());
  if (list.kind() != ValueKind::kArray) return ColumnNotAList(block_name, name);
  const uint32_t n = list.size();
  if (n == 0) {
    column->mutable_doubles();
    return absl::OkStatus();
  }
  if (FillUniformColumn(list, column)) return absl::OkStatus();
  // One type for the whole column when every value has it; a mixed column
  // keeps each value's own type, as the Python agent formats value by value.
  ValueKind common = list.item(0).kind();
  for (uint32_t i = 0; i < n; ++i) {
    const View item = list.item(i);
    const ValueKind kind = item.kind();
    if (kind != common) common = ValueKind::kNull;
    if (kind == ValueKind::kArray || kind == ValueKind::kMap) {
      return ColumnHoldsAContainer(block_name, name);
    }
    if (kind == ValueKind::kString && !utf8::IsValid(item.string_value())) {
      return ColumnStringNotUtf8(block_name, name);
    }
    if (kind == ValueKind::kOther) return Unreadable();
  }
  switch (common) {
    case ValueKind::kBool: {
      auto* values = column->mutable_bools()->mutable_values();
      values->Reserve(static_cast<int>(n));
      for (uint32_t i = 0; i < n; ++i) values->Add(list.item(i).bool_value());
      break;
    }
    case ValueKind::kString: {
      auto* values = column->mutable_strings()->mutable_values();
      values->Reserve(static_cast<int>(n));
      for (uint32_t i = 0; i < n; ++i) {
        const absl::string_view text = list.item(i).string_value();
        values->Add()->assign(text.data(), text.size());
      }
      break;
    }
    default: {
      // kDouble and kInt are uniform columns, taken above.
      auto* values = column->mutable_mixed()->mutable_values();
      values->Reserve(static_cast<int>(n));
      for (uint32_t i = 0; i < n; ++i) SetFieldValue(list.item(i), values->Add());
      break;
    }
  }
  return absl::OkStatus();
}

// `value` sits at depth 2 (args[0][0].<block>).
template <typename View>
absl::Status FillBlock(absl::string_view key, const View& value,
                       ocs::influx::v1::Block* block) {
  if (value.kind() != ValueKind::kMap) return BlockNotADict(key);
  if constexpr (View::kCheckReadable) {
    if (!View::KeysReadable(value)) return Unreadable();
  }
  View name = value, timestamps = value, data = value;
  const bool has_name = Find(value, "block_name", &name);
  const bool has_timestamps = Find(value, "timestamps", &timestamps);
  const bool has_data = Find(value, "data", &data);
  if constexpr (View::kCheckReadable) {
    // What is not read below must still be readable.
    for (uint32_t i = 0; i < value.size(); ++i) {
      const View member = value.value(i);
      if ((has_timestamps && member.same(timestamps)) || (has_data && member.same(data))) {
        continue;
      }
      if (!View::Readable(member, 3)) return Unreadable();
    }
  }
  if (has_name && name.kind() == ValueKind::kString &&
      utf8::IsValid(name.string_value())) {
    const absl::string_view text = name.string_value();
    block->set_block_name(text.data(), text.size());
  } else {
    block->set_block_name(key.data(), key.size());
  }
  if (!has_timestamps || timestamps.kind() != ValueKind::kArray) {
    return TimestampsNotAList(key);
  }
  const uint32_t n = timestamps.size();
  auto* out = block->mutable_timestamps();
  out->Resize(static_cast<int>(n), 0.0);
  double* t = out->mutable_data();
  for (uint32_t i = 0; i < n; ++i) {
    const View item = timestamps.item(i);
    switch (item.kind()) {
      case ValueKind::kDouble: t[i] = item.double_value(); break;
      case ValueKind::kInt: t[i] = static_cast<double>(item.int_value()); break;
      case ValueKind::kUint: t[i] = static_cast<double>(item.uint_value()); break;
      case ValueKind::kBigInt: t[i] = std::numeric_limits<double>::infinity(); break;
      default: return TimestampNotANumber(key);
    }
  }
  if (!has_data || data.kind() != ValueKind::kMap) return DataNotADict(key);
  if constexpr (View::kCheckReadable) {
    if (!View::KeysReadable(data)) return Unreadable();
  }
  block->mutable_columns()->Reserve(static_cast<int>(data.size()));
  return ForEachDictItem(data, 4, [&](absl::string_view field, const View& list) {
    if (!utf8::IsValid(field)) return FieldNameNotUtf8(key);
    return FillColumn(block->block_name(), field, list, block->add_columns());
  });
}

}  // namespace publication_internal

template <typename View>
absl::Status ReadPublication(const View& publication, ocs::influx::v1::OcsFeed* feed) {
  namespace pi = publication_internal;
  feed->Clear();
  if (publication.kind() != ValueKind::kArray || publication.size() != 2) {
    return pi::NotAPublication();
  }
  const View message = publication.item(0);
  const View encoded_feed = publication.item(1);
  if (encoded_feed.kind() != ValueKind::kMap) return pi::FeedNotADict();
  if constexpr (View::kCheckReadable) {
    // The feed's members: few and small, each checked whole.
    if (!View::KeysReadable(encoded_feed)) return pi::Unreadable();
    for (uint32_t i = 0; i < encoded_feed.size(); ++i) {
      if (!View::Readable(encoded_feed.value(i), 2)) return pi::Unreadable();
    }
  }
  if (absl::Status s = pi::GetString(encoded_feed, "agent_address", true,
                                     feed->mutable_agent_address());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = pi::GetString(encoded_feed, "feed_name", true,
                                     feed->mutable_feed_name());
      !s.ok()) {
    return s;
  }
  pi::GetString(encoded_feed, "session_id", false, feed->mutable_session_id())
      .IgnoreError();
  pi::GetString(encoded_feed, "agent_class", false, feed->mutable_agent_class())
      .IgnoreError();
  feed->set_record(pi::Truthy(encoded_feed, "record"));
  View agg = encoded_feed;
  if (pi::Find(encoded_feed, "agg_params", &agg) && agg.kind() == ValueKind::kMap) {
    auto* params = feed->mutable_agg_params();
    params->set_exclude_influx(pi::Truthy(agg, "exclude_influx"));
    params->set_exclude_aggregator(pi::Truthy(agg, "exclude_aggregator"));
    params->set_frame_length(pi::Number(agg, "frame_length"));
    params->set_fresh_time(pi::Number(agg, "fresh_time"));
  }
  if (!feed->record() || feed->agg_params().exclude_influx()) {
    if constexpr (View::kCheckReadable) {
      // Not converted, but it must read all the same.
      if (!View::Readable(message, 1)) return pi::Unreadable();
    }
    return absl::OkStatus();
  }
  if (message.kind() != ValueKind::kMap) return pi::MessageNotADict();
  if constexpr (View::kCheckReadable) {
    if (!View::KeysReadable(message)) return pi::Unreadable();
  }
  feed->mutable_blocks()->Reserve(static_cast<int>(message.size()));
  return pi::ForEachDictItem(message, 2, [&](absl::string_view key, const View& block) {
    return pi::FillBlock(key, block, feed->add_blocks());
  });
}

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_PUBLICATION_READER_H_
