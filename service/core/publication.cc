#include "service/core/publication.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/utf8/utf8.h"

namespace ocs_influx::core {
namespace {

using ocs::influx::v1::Block;
using ocs::influx::v1::Column;
using ocs::influx::v1::FieldValue;
using ocs::influx::v1::OcsFeed;
using Type = DynamicValue::Type;

std::string Quote(absl::string_view s) {
  return absl::StrCat("\"", s.substr(0, 100), s.size() > 100 ? "..." : "", "\"");
}

// Python dicts keep the first position and the last value of a key that
// appears twice; members are visited the same way.
std::vector<const std::pair<std::string, DynamicValue>*> DictItems(
    const DynamicValue& object) {
  std::vector<const std::pair<std::string, DynamicValue>*> items;
  absl::flat_hash_map<absl::string_view, size_t> index;
  for (const auto& member : object.members) {
    auto [it, inserted] = index.emplace(member.first, items.size());
    if (inserted) {
      items.push_back(&member);
    } else {
      items[it->second] = &member;
    }
  }
  return items;
}

absl::Status GetString(const DynamicValue& object, absl::string_view key,
                       bool required, std::string* out) {
  const DynamicValue* v = object.Find(key);
  if (v == nullptr || v->type == Type::kNull) {
    if (required) {
      return absl::InvalidArgumentError(absl::StrCat("feed.", key, " is missing"));
    }
    return absl::OkStatus();
  }
  switch (v->type) {
    case Type::kString:
      if (!utf8::IsValid(v->string_value)) {
        return absl::InvalidArgumentError(
            absl::StrCat("feed.", key, " is not valid UTF-8"));
      }
      *out = v->string_value;
      return absl::OkStatus();
    case Type::kInt:  // OCS session ids are sometimes numbers
      *out = std::to_string(v->int_value);
      return absl::OkStatus();
    case Type::kDouble:
      *out = absl::StrCat(v->double_value);
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("feed.", key, " is not a string"));
  }
}

bool Truthy(const DynamicValue* v) {
  if (v == nullptr) return false;
  switch (v->type) {
    case Type::kBool: return v->bool_value;
    case Type::kInt: return v->int_value != 0;
    default: return false;
  }
}

void SetFieldValue(const DynamicValue& v, FieldValue* out) {
  switch (v.type) {
    case Type::kBool: out->set_bool_value(v.bool_value); break;
    case Type::kInt: out->set_int_value(v.int_value); break;
    case Type::kUint: out->set_uint_value(v.uint_value); break;
    // Beyond uint64: still an overflow when written, and counted as one.
    case Type::kBigInt: out->set_uint_value(UINT64_MAX); break;
    case Type::kDouble: out->set_double_value(v.double_value); break;
    case Type::kString: out->set_string_value(v.string_value); break;
    default: break;  // null: left unset, dropped and counted as null_value
  }
}

absl::Status FillColumn(const std::string& block_name, const std::string& name,
                        const DynamicValue& list, Column* column) {
  column->set_name(name);
  if (list.type != Type::kArray) {
    return absl::InvalidArgumentError(absl::StrCat(
        "block ", Quote(block_name), ": data ", Quote(name), " is not a list"));
  }
  // One type for the whole column when every value has it; a mixed column
  // keeps each value's own type, as the Python agent formats value by value.
  Type common = list.items.empty() ? Type::kDouble : list.items[0].type;
  for (const DynamicValue& item : list.items) {
    if (item.type != common) common = Type::kNull;
    if (item.type == Type::kArray || item.type == Type::kObject) {
      return absl::InvalidArgumentError(absl::StrCat(
          "block ", Quote(block_name), ": data ", Quote(name),
          " holds a list or dict, not a value"));
    }
    if (item.type == Type::kString && !utf8::IsValid(item.string_value)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "block ", Quote(block_name), ": data ", Quote(name),
          " holds a string that is not valid UTF-8"));
    }
  }
  switch (common) {
    case Type::kDouble: {
      auto* values = column->mutable_doubles()->mutable_values();
      values->Reserve(list.items.size());
      for (const DynamicValue& item : list.items) values->Add(item.double_value);
      break;
    }
    case Type::kInt: {
      auto* values = column->mutable_ints()->mutable_values();
      values->Reserve(list.items.size());
      for (const DynamicValue& item : list.items) values->Add(item.int_value);
      break;
    }
    case Type::kBool: {
      auto* values = column->mutable_bools()->mutable_values();
      values->Reserve(list.items.size());
      for (const DynamicValue& item : list.items) values->Add(item.bool_value);
      break;
    }
    case Type::kString: {
      auto* values = column->mutable_strings()->mutable_values();
      values->Reserve(list.items.size());
      for (const DynamicValue& item : list.items) *values->Add() = item.string_value;
      break;
    }
    default: {
      auto* values = column->mutable_mixed()->mutable_values();
      values->Reserve(list.items.size());
      for (const DynamicValue& item : list.items) SetFieldValue(item, values->Add());
      break;
    }
  }
  return absl::OkStatus();
}

absl::Status FillBlock(const std::string& key, const DynamicValue& value,
                       Block* block) {
  if (value.type != Type::kObject) {
    return absl::InvalidArgumentError(
        absl::StrCat("block ", Quote(key), " is not a dict"));
  }
  const DynamicValue* name = value.Find("block_name");
  block->set_block_name(name != nullptr && name->type == Type::kString &&
                                utf8::IsValid(name->string_value)
                            ? name->string_value
                            : key);
  const DynamicValue* timestamps = value.Find("timestamps");
  if (timestamps == nullptr || timestamps->type != Type::kArray) {
    return absl::InvalidArgumentError(absl::StrCat(
        "block ", Quote(key), ": timestamps missing or not a list"));
  }
  block->mutable_timestamps()->Reserve(timestamps->items.size());
  for (const DynamicValue& t : timestamps->items) {
    double seconds;
    switch (t.type) {
      case Type::kDouble: seconds = t.double_value; break;
      case Type::kInt: seconds = static_cast<double>(t.int_value); break;
      case Type::kUint: seconds = static_cast<double>(t.uint_value); break;
      case Type::kBigInt: seconds = std::numeric_limits<double>::infinity(); break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            "block ", Quote(key), ": a timestamp is not a number"));
    }
    block->add_timestamps(seconds);
  }
  const DynamicValue* data = value.Find("data");
  if (data == nullptr || data->type != Type::kObject) {
    return absl::InvalidArgumentError(
        absl::StrCat("block ", Quote(key), ": data missing or not a dict"));
  }
  for (const auto* member : DictItems(*data)) {
    if (!utf8::IsValid(member->first)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "block ", Quote(key), ": a field name is not valid UTF-8"));
    }
    if (absl::Status s = FillColumn(block->block_name(), member->first,
                                    member->second, block->add_columns());
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PublicationToFeed(const DynamicValue& publication, OcsFeed* feed) {
  feed->Clear();
  if (publication.type != Type::kArray || publication.items.size() != 2) {
    return absl::InvalidArgumentError(
        "a publication is a 2-element list [message, feed]");
  }
  const DynamicValue& message = publication.items[0];
  const DynamicValue& encoded_feed = publication.items[1];
  if (encoded_feed.type != Type::kObject) {
    return absl::InvalidArgumentError("feed (the second element) is not a dict");
  }
  if (absl::Status s = GetString(encoded_feed, "agent_address", true,
                                 feed->mutable_agent_address());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = GetString(encoded_feed, "feed_name", true,
                                 feed->mutable_feed_name());
      !s.ok()) {
    return s;
  }
  GetString(encoded_feed, "session_id", false, feed->mutable_session_id())
      .IgnoreError();
  GetString(encoded_feed, "agent_class", false, feed->mutable_agent_class())
      .IgnoreError();
  feed->set_record(Truthy(encoded_feed.Find("record")));
  if (const DynamicValue* agg = encoded_feed.Find("agg_params");
      agg != nullptr && agg->type == Type::kObject) {
    auto* params = feed->mutable_agg_params();
    params->set_exclude_influx(Truthy(agg->Find("exclude_influx")));
    params->set_exclude_aggregator(Truthy(agg->Find("exclude_aggregator")));
    auto number = [](const DynamicValue* v) {
      if (v == nullptr) return 0.0;
      if (v->type == Type::kDouble) return v->double_value;
      if (v->type == Type::kInt) return static_cast<double>(v->int_value);
      return 0.0;
    };
    params->set_frame_length(number(agg->Find("frame_length")));
    params->set_fresh_time(number(agg->Find("fresh_time")));
  }
  if (!feed->record() || feed->agg_params().exclude_influx()) {
    return absl::OkStatus();
  }
  if (message.type != Type::kObject) {
    return absl::InvalidArgumentError(
        "message (the first element) of a recorded feed is not a dict of blocks");
  }
  for (const auto* member : DictItems(message)) {
    if (absl::Status s = FillBlock(member->first, member->second,
                                   feed->add_blocks());
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status PublicationJsonToFeed(absl::string_view json, OcsFeed* feed) {
  absl::StatusOr<DynamicValue> value = ParseJson(json);
  if (!value.ok()) return value.status();
  return PublicationToFeed(*value, feed);
}

}  // namespace ocs_influx::core
