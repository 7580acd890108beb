#include "ocs_adapter/feed_bounds.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ocs_influx::ocs_adapter {
namespace {

namespace v1 = ocs::influx::v1;

// A field's "=" and value (a float's repr, an int's digits and "i") and its
// comma; the line's space, timestamp and newline.
constexpr uint64_t kFieldOverhead = 26;
constexpr uint64_t kLineOverhead = 32;

int ColumnSize(const v1::Column& c) {
  switch (c.values_case()) {
    case v1::Column::kDoubles: return c.doubles().values_size();
    case v1::Column::kInts: return c.ints().values_size();
    case v1::Column::kBools: return c.bools().values_size();
    case v1::Column::kStrings: return c.strings().values_size();
    case v1::Column::kMixed: return c.mixed().values_size();
    default: return 0;
  }
}

absl::Status NameCheck(const std::string& name, const char* what, Refusal* reason) {
  if (name.size() <= kMaxNameBytes) return absl::OkStatus();
  *reason = Refusal::kNameTooLong;
  return absl::InvalidArgumentError(absl::StrCat(what, " of ", name.size(),
                                                 " bytes (InfluxDB takes at most ",
                                                 kMaxNameBytes, "): \"",
                                                 name.substr(0, 64), "...\""));
}

v1::OcsFeed Header(const v1::OcsFeed& feed) {
  v1::OcsFeed h;
  h.set_agent_address(feed.agent_address());
  h.set_feed_name(feed.feed_name());
  h.set_record(feed.record());
  if (feed.has_agg_params()) *h.mutable_agg_params() = feed.agg_params();
  h.set_session_id(feed.session_id());
  h.set_agent_class(feed.agent_class());
  return h;
}

template <typename R>
void CopyRange(const R& from, int begin, int end, R* to) {
  to->Reserve(end - begin);
  for (int i = begin; i < end; ++i) *to->Add() = from.Get(i);
}

void CopyRows(const v1::Block& from, int begin, int end, v1::Block* to) {
  to->set_block_name(from.block_name());
  to->mutable_timestamps()->Add(from.timestamps().begin() + begin,
                                from.timestamps().begin() + end);
  for (const v1::Column& c : from.columns()) {
    v1::Column* out = to->add_columns();
    out->set_name(c.name());
    switch (c.values_case()) {
      case v1::Column::kDoubles:
        out->mutable_doubles()->mutable_values()->Add(c.doubles().values().begin() + begin,
                                                      c.doubles().values().begin() + end);
        break;
      case v1::Column::kInts:
        out->mutable_ints()->mutable_values()->Add(c.ints().values().begin() + begin,
                                                   c.ints().values().begin() + end);
        break;
      case v1::Column::kBools:
        out->mutable_bools()->mutable_values()->Add(c.bools().values().begin() + begin,
                                                    c.bools().values().begin() + end);
        break;
      case v1::Column::kStrings:
        CopyRange(c.strings().values(), begin, end, out->mutable_strings()->mutable_values());
        break;
      case v1::Column::kMixed:
        CopyRange(c.mixed().values(), begin, end, out->mutable_mixed()->mutable_values());
        break;
      default:
        break;
    }
  }
}

bool RowsSplittable(const v1::Block& b) {
  if (b.timestamps_size() < 2) return false;
  for (const v1::Column& c : b.columns()) {
    if (ColumnSize(c) != b.timestamps_size()) return false;
  }
  return true;
}

}  // namespace

uint64_t EstimatedEncodedBytes(const v1::OcsFeed& feed) {
  const uint64_t prefix = feed.agent_address().size() + feed.feed_name().size() + 6;
  uint64_t total = 0;
  for (const v1::Block& b : feed.blocks()) {
    uint64_t per_row = prefix + kLineOverhead;
    uint64_t strings = 0;
    for (const v1::Column& c : b.columns()) {
      per_row += c.name().size() + kFieldOverhead;
      if (c.values_case() == v1::Column::kStrings) {
        for (const std::string& v : c.strings().values()) strings += v.size();
      }
    }
    total += per_row * static_cast<uint64_t>(b.timestamps_size()) + strings;
  }
  return total;
}

absl::Status CheckFeedBounds(const v1::OcsFeed& feed, const FeedBounds& bounds,
                             Refusal* reason) {
  if (absl::Status s = NameCheck(feed.agent_address(), "agent_address", reason); !s.ok()) {
    return s;
  }
  if (absl::Status s = NameCheck(feed.feed_name(), "feed_name", reason); !s.ok()) return s;
  for (const v1::Block& b : feed.blocks()) {
    if (absl::Status s = NameCheck(b.block_name(), "a block name", reason); !s.ok()) return s;
    for (const v1::Column& c : b.columns()) {
      if (absl::Status s = NameCheck(c.name(), "a field name", reason); !s.ok()) return s;
    }
  }
  const uint64_t encoded = EstimatedEncodedBytes(feed);
  if (encoded > bounds.max_encoded_bytes) {
    *reason = Refusal::kTooLarge;
    return absl::InvalidArgumentError(
        absl::StrCat("the publication would be about ", encoded,
                     " bytes of line protocol (at most ", bounds.max_encoded_bytes, ")"));
  }
  return absl::OkStatus();
}

std::vector<v1::OcsFeed> SplitFeed(v1::OcsFeed feed, size_t max_bytes) {
  std::vector<v1::OcsFeed> out;
  if (feed.ByteSizeLong() <= max_bytes) {
    out.push_back(std::move(feed));
    return out;
  }
  const v1::OcsFeed header = Header(feed);
  // Room for blocks in one piece: its header and a field tag and length.
  const size_t header_bytes = header.ByteSizeLong() + 16;
  const size_t room = max_bytes > header_bytes ? max_bytes - header_bytes : 1;
  v1::OcsFeed piece = header;
  size_t piece_bytes = 0;
  auto flush = [&] {
    if (piece.blocks_size() == 0) return;
    out.push_back(std::move(piece));
    piece = header;
    piece_bytes = 0;
  };
  for (v1::Block& block : *feed.mutable_blocks()) {
    const size_t size = block.ByteSizeLong() + 8;
    if (piece_bytes + size <= room) {
      piece_bytes += size;
      *piece.add_blocks() = std::move(block);
      continue;
    }
    flush();
    if (size <= room || !RowsSplittable(block)) {
      piece_bytes = size;
      *piece.add_blocks() = std::move(block);
      continue;
    }
    // Row ranges, sized from the block's mean row and halved while a range
    // comes out too big (rows of strings vary).
    const int rows = block.timestamps_size();
    const size_t per_row = std::max<size_t>(1, size / rows);
    int step = static_cast<int>(std::max<size_t>(1, room * 9 / 10 / per_row));
    int begin = 0;
    while (begin < rows) {
      int end = std::min(rows, begin + step);
      v1::Block part;
      CopyRows(block, begin, end, &part);
      while (part.ByteSizeLong() + 8 > room && end - begin > 1) {
        end = begin + (end - begin) / 2;
        part.Clear();
        CopyRows(block, begin, end, &part);
      }
      v1::OcsFeed one = header;
      *one.add_blocks() = std::move(part);
      out.push_back(std::move(one));
      begin = end;
    }
    block.Clear();
  }
  flush();
  return out;
}

}  // namespace ocs_influx::ocs_adapter
