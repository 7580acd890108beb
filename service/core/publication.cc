#include "service/core/publication.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "service/core/json.h"
#include "service/core/publication_reader.h"
#include "service/core/value_view.h"

namespace ocs_influx::core {
namespace publication_internal {
namespace {

std::string Quote(absl::string_view s) {
  return absl::StrCat("\"", s.substr(0, 100), s.size() > 100 ? "..." : "", "\"");
}

absl::Status InBlock(absl::string_view key, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("block ", Quote(key), why));
}

absl::Status InColumn(absl::string_view block, absl::string_view name,
                      absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("block ", Quote(block), ": data ", Quote(name), why));
}

}  // namespace

absl::Status NotAPublication() {
  return absl::InvalidArgumentError("a publication is a 2-element list [message, feed]");
}
absl::Status FeedNotADict() {
  return absl::InvalidArgumentError("feed (the second element) is not a dict");
}
absl::Status MessageNotADict() {
  return absl::InvalidArgumentError(
      "message (the first element) of a recorded feed is not a dict of blocks");
}
absl::Status FeedMemberMissing(absl::string_view key) {
  return absl::InvalidArgumentError(absl::StrCat("feed.", key, " is missing"));
}
absl::Status FeedMemberNotUtf8(absl::string_view key) {
  return absl::InvalidArgumentError(absl::StrCat("feed.", key, " is not valid UTF-8"));
}
absl::Status FeedMemberNotAString(absl::string_view key) {
  return absl::InvalidArgumentError(absl::StrCat("feed.", key, " is not a string"));
}
absl::Status BlockNotADict(absl::string_view key) { return InBlock(key, " is not a dict"); }
absl::Status TimestampsNotAList(absl::string_view key) {
  return InBlock(key, ": timestamps missing or not a list");
}
absl::Status TimestampNotANumber(absl::string_view key) {
  return InBlock(key, ": a timestamp is not a number");
}
absl::Status DataNotADict(absl::string_view key) {
  return InBlock(key, ": data missing or not a dict");
}
absl::Status FieldNameNotUtf8(absl::string_view key) {
  return InBlock(key, ": a field name is not valid UTF-8");
}
absl::Status ColumnNotAList(absl::string_view block, absl::string_view name) {
  return InColumn(block, name, " is not a list");
}
absl::Status ColumnHoldsAContainer(absl::string_view block, absl::string_view name) {
  return InColumn(block, name, " holds a list or dict, not a value");
}
absl::Status ColumnStringNotUtf8(absl::string_view block, absl::string_view name) {
  return InColumn(block, name, " holds a string that is not valid UTF-8");
}
absl::Status Unreadable() {
  return absl::InvalidArgumentError("a value that no value tree holds");
}

bool RepeatedKeys(const std::vector<absl::string_view>& keys) {
  // Kept by the thread: a table of up to 127 slots (what absl's clear()
  // keeps) is reused from one publication to the next, not allocated for
  // each.
  thread_local absl::flat_hash_set<absl::string_view> seen;
  seen.clear();
  seen.reserve(keys.size());
  bool repeated = false;
  for (absl::string_view key : keys) {
    if (!seen.insert(key).second) {
      repeated = true;
      break;
    }
  }
  seen.clear();  // its views point into the caller's message
  return repeated;
}

std::vector<uint32_t> DictOrder(const std::vector<absl::string_view>& keys) {
  std::vector<uint32_t> order;
  absl::flat_hash_map<absl::string_view, size_t> position;
  for (uint32_t i = 0; i < keys.size(); ++i) {
    auto [it, inserted] = position.emplace(keys[i], order.size());
    if (inserted) {
      order.push_back(i);
    } else {
      order[it->second] = i;
    }
  }
  return order;
}

}  // namespace publication_internal

absl::Status PublicationToFeed(const DynamicValue& publication,
                               ocs::influx::v1::OcsFeed* feed) {
  return ReadPublication(DynamicValueView(publication), feed);
}

absl::Status PublicationJsonToFeed(absl::string_view json, ocs::influx::v1::OcsFeed* feed) {
  absl::StatusOr<DynamicValue> value = ParseJson(json);
  if (!value.ok()) {
    feed->Clear();
    return value.status();
  }
  return PublicationToFeed(*value, feed);
}

}  // namespace ocs_influx::core
