#include "ocs_adapter/feed_bounds.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/core/feed_convert.h"

namespace ocs_influx::ocs_adapter {
namespace {

namespace v1 = ocs::influx::v1;

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

uint64_t EncodedBytesBound(const v1::OcsFeed& feed) {
  // The converter keeps scratch buffers; one per thread (the WAMP thread
  // checks bounds, the sender thread cuts).
  thread_local core::FeedConverter converter;
  absl::StatusOr<uint64_t> bound = converter.EncodedSizeBound(feed);
  return bound.ok() ? *bound : 0;
}

absl::Status CheckFeedBounds(const v1::OcsFeed& feed, const FeedBounds& bounds,
                             Refusal* reason, uint64_t* line_bytes) {
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
  // A feed the publisher's own rules refuse (a series key over the limit,
  // a column shorter than its timestamps) bounds to 0 here and goes on to
  // be refused there, counted and dead-lettered as every refusal of the
  // publisher is.
  const uint64_t encoded = EncodedBytesBound(feed);
  if (encoded > bounds.max_encoded_bytes) {
    *reason = Refusal::kTooLarge;
    return absl::InvalidArgumentError(
        absl::StrCat("the publication would be about ", encoded,
                     " bytes of line protocol (at most ", bounds.max_encoded_bytes, ")"));
  }
  if (line_bytes != nullptr) *line_bytes = encoded;
  return absl::OkStatus();
}

std::vector<v1::OcsFeed> SplitFeed(v1::OcsFeed feed, size_t max_bytes,
                                   uint64_t max_line_bytes) {
  std::vector<v1::OcsFeed> out;
  if (feed.ByteSizeLong() <= max_bytes &&
      (max_line_bytes == UINT64_MAX || EncodedBytesBound(feed) <= max_line_bytes)) {
    out.push_back(std::move(feed));
    return out;
  }
  const v1::OcsFeed header = Header(feed);
  // Room for blocks in one piece: its header and a field tag and length.
  const size_t header_bytes = header.ByteSizeLong() + 16;
  const size_t room = max_bytes > header_bytes ? max_bytes - header_bytes : 1;
  // A block's line protocol is bounded with the block swapped into this
  // one feed and out again: no copy of the header per block (a publication
  // of 80,000 blocks under a 64 KiB agent_address would copy gigabytes).
  v1::OcsFeed probe = header;
  probe.add_blocks();
  auto line_bytes_of = [&](v1::Block* block) -> uint64_t {
    if (max_line_bytes == UINT64_MAX) return 0;
    probe.mutable_blocks(0)->Swap(block);
    const uint64_t bound = EncodedBytesBound(probe);
    probe.mutable_blocks(0)->Swap(block);
    return bound;
  };
  v1::OcsFeed piece = header;
  size_t piece_bytes = 0;
  uint64_t piece_lines = 0;
  auto flush = [&] {
    if (piece.blocks_size() == 0) return;
    out.push_back(std::move(piece));
    piece = header;
    piece_bytes = 0;
    piece_lines = 0;
  };
  for (v1::Block& block : *feed.mutable_blocks()) {
    const size_t size = block.ByteSizeLong() + 8;
    const uint64_t lines = line_bytes_of(&block);
    if (piece_bytes + size <= room && piece_lines + lines <= max_line_bytes) {
      piece_bytes += size;
      piece_lines += lines;
      *piece.add_blocks() = std::move(block);
      continue;
    }
    flush();
    if ((size <= room && lines <= max_line_bytes) || !RowsSplittable(block)) {
      piece_bytes = size;
      piece_lines = lines;
      *piece.add_blocks() = std::move(block);
      continue;
    }
    // Row ranges, sized from the block's mean row (in both measures) and
    // halved while a range comes out too big (rows of strings vary).
    const int rows = block.timestamps_size();
    const size_t per_row = std::max<size_t>(1, size / rows);
    const uint64_t lines_per_row = std::max<uint64_t>(1, lines / rows);
    const uint64_t by_bytes = std::max<size_t>(1, room * 9 / 10 / per_row);
    const uint64_t by_lines =
        max_line_bytes == UINT64_MAX ? by_bytes
                                     : std::max<uint64_t>(1, max_line_bytes * 9 / 10 / lines_per_row);
    const int step = static_cast<int>(std::min<uint64_t>({by_bytes, by_lines, uint64_t(rows)}));
    int begin = 0;
    while (begin < rows) {
      int end = std::min(rows, begin + step);
      v1::Block part;
      CopyRows(block, begin, end, &part);
      while (end - begin > 1 &&
             (part.ByteSizeLong() + 8 > room || line_bytes_of(&part) > max_line_bytes)) {
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
