#include "service/core/feed_convert.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "service/core/float_format.h"
#include "service/core/line_builder.h"
#include "service/core/same_bytes.h"

namespace ocs_influx::core {
namespace {

using ocs::influx::v1::Block;
using ocs::influx::v1::Column;
using ocs::influx::v1::FieldValue;

int ColumnLength(const Column& column) {
  switch (column.values_case()) {
    case Column::kDoubles: return column.doubles().values_size();
    case Column::kInts: return column.ints().values_size();
    case Column::kBools: return column.bools().values_size();
    case Column::kStrings: return column.strings().values_size();
    case Column::kMixed: return column.mixed().values_size();
    case Column::VALUES_NOT_SET: return 0;
  }
  return 0;
}

// Appends the value (after the already-written "key="); false when the
// field is dropped by rule.
bool WriteMixedValue(const FieldValue& value, LineWriter* out,
                     DropCounts* drops) {
  switch (value.value_case()) {
    case FieldValue::kDoubleValue:
      if (!std::isfinite(value.double_value())) {
        drops->Add(DropReason::kNonFiniteFloat);
        return false;
      }
      WriteDouble(value.double_value(), out);
      return true;
    case FieldValue::kIntValue:
      WriteInt(value.int_value(), out);
      return true;
    case FieldValue::kUintValue:
      if (value.uint_value() >
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        drops->Add(DropReason::kIntegerOverflow);
        return false;
      }
      WriteInt(static_cast<int64_t>(value.uint_value()), out);
      return true;
    case FieldValue::kBoolValue:
      WriteBool(value.bool_value(), out);
      return true;
    case FieldValue::kStringValue:
      // Over-long strings were refused before any point was written.
      WriteStringValue(value.string_value(), out).IgnoreError();
      return true;
    case FieldValue::VALUE_NOT_SET:
      drops->Add(DropReason::kNullValue);
      return false;
  }
  return false;
}

// Inline in ConvertTo's loop over a row's fields: a call per field cost
// more than the work around a short value.
__attribute__((always_inline)) inline bool WriteValue(const Column& column, int row,
                                                      LineWriter* out, DropCounts* drops) {
  switch (column.values_case()) {
    case Column::kDoubles: {
      double v = column.doubles().values(row);
      if (!std::isfinite(v)) {
        drops->Add(DropReason::kNonFiniteFloat);
        return false;
      }
      WriteDouble(v, out);
      return true;
    }
    case Column::kInts:
      WriteInt(column.ints().values(row), out);
      return true;
    case Column::kBools:
      WriteBool(column.bools().values(row), out);
      return true;
    case Column::kStrings:
      WriteStringValue(column.strings().values(row), out).IgnoreError();
      return true;
    case Column::kMixed:
      return WriteMixedValue(column.mixed().values(row), out, drops);
    case Column::VALUES_NOT_SET:
      return false;
  }
  return false;
}

// Longest texts of a value, as line_builder and float_format write them:
// "-1.2345678901234567e-308", "-9223372036854775808i", "False",
// " -9223372036854775806\n".
constexpr uint64_t kMaxDoubleText = 24;
constexpr uint64_t kMaxIntText = 21;
constexpr uint64_t kMaxBoolText = 5;
constexpr uint64_t kMaxTimestampText = 22;

uint64_t IntText(int64_t v) {
  char buffer[24];
  return std::to_chars(buffer, buffer + sizeof(buffer), v).ptr - buffer + 1;
}

// At most what AppendStringValue writes: quotes, and one more byte per
// character it may escape. `exact` scans the value; otherwise every byte
// counts twice.
uint64_t StringText(absl::string_view s, bool exact) {
  if (!exact) return 2 + 2 * static_cast<uint64_t>(s.size());
  uint64_t n = 2 + s.size();
  for (char c : s) n += (c == '"' || c == '\\' || c == '\n' || c == '\r');
  return n;
}

uint64_t MixedText(const FieldValue& v, bool exact) {
  switch (v.value_case()) {
    case FieldValue::kDoubleValue: return kMaxDoubleText;
    case FieldValue::kIntValue: return exact ? IntText(v.int_value()) : kMaxIntText;
    case FieldValue::kUintValue: return kMaxIntText;
    case FieldValue::kBoolValue: return kMaxBoolText;
    case FieldValue::kStringValue: return StringText(v.string_value(), exact);
    case FieldValue::VALUE_NOT_SET: return 0;
  }
  return 0;
}

// Refuses string values over kMaxStringValueBytes and adds to `bytes` what
// the column's values take at most. Linear in the column; `exact` looks
// closer at each int and string, for a tighter bound.
absl::Status ColumnText(const Block& block, const Column& column, bool exact,
                        uint64_t* bytes) {
  auto check = [&](absl::string_view s) -> absl::Status {
    if (s.size() <= kMaxStringValueBytes) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        "block \"", block.block_name().substr(0, 200), "\", column \"",
        column.name().substr(0, 200), "\": string value of ", s.size(),
        " bytes is over the limit of ", kMaxStringValueBytes));
  };
  const uint64_t rows = block.timestamps_size();
  switch (column.values_case()) {
    case Column::kDoubles:
      *bytes += rows * kMaxDoubleText;
      break;
    case Column::kInts:
      if (!exact) {
        *bytes += rows * kMaxIntText;
      } else {
        for (int64_t v : column.ints().values()) *bytes += IntText(v);
      }
      break;
    case Column::kBools:
      if (!exact) {
        *bytes += rows * kMaxBoolText;
      } else {
        for (bool v : column.bools().values()) *bytes += v ? 4 : 5;
      }
      break;
    case Column::kStrings:
      for (const auto& s : column.strings().values()) {
        if (absl::Status st = check(s); !st.ok()) return st;
        *bytes += StringText(s, exact);
      }
      break;
    case Column::kMixed:
      for (const auto& v : column.mixed().values()) {
        if (v.value_case() == FieldValue::kStringValue) {
          if (absl::Status st = check(v.string_value()); !st.ok()) return st;
        }
        *bytes += MixedText(v, exact);
      }
      break;
    case Column::VALUES_NOT_SET:
      break;
  }
  return absl::OkStatus();
}

// Where Convert writes: one string, or bounded chunks.
class StringSink {
 public:
  explicit StringSink(std::string* out) : writer_(out), start_(writer_.size()) {}
  LineWriter* line() { return &writer_; }
  void EndLine(size_t /*key_bytes*/) {}
  void Rollback() { writer_.Truncate(start_); }

 private:
  LineWriter writer_;  // one for all lines: the string grows a step at a time
  size_t start_;
};

class ChunkSink {
 public:
  explicit ChunkSink(LineChunks* out)
      : out_(out), start_(out->mark()), writer_(out->tail()) {}
  LineWriter* line() { return &writer_; }
  // The chunk needs its size to count the line and cut.
  void EndLine(size_t key_bytes) {
    writer_.Close();
    out_->EndLine(key_bytes);
    writer_.Attach(out_->tail());
  }
  void Rollback() {
    writer_.Close();
    out_->Rollback(start_);
    writer_.Attach(out_->tail());
  }

 private:
  LineChunks* out_;
  LineChunks::Mark start_;
  LineWriter writer_;
};

}  // namespace

absl::Status FeedConverter::Prepare(const ocs::influx::v1::OcsFeed& feed) {
  prefix_.clear();
  if (absl::Status s = AppendEscapedName(NameKind::kMeasurement,
                                         feed.agent_address(), &prefix_);
      !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("agent_address: ", s.message()));
  }
  prefix_.append(",feed=");
  if (absl::Status s =
          AppendEscapedName(NameKind::kTagValue, feed.feed_name(), &prefix_);
      !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("feed_name: ", s.message()));
  }
  if (absl::Status s = CheckSeriesKeySize(prefix_.size()); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("agent_address and feed_name: ", s.message()));
  }
  prefix_.push_back(' ');
  return absl::OkStatus();
}

absl::Status FeedConverter::Bound(const ocs::influx::v1::OcsFeed& feed,
                                  bool exact, uint64_t* bound) {
  // Every block is validated before any point is written: a request is
  // accepted whole or not at all.
  *bound = 0;
  for (const Block& block : feed.blocks()) {
    const uint64_t rows = block.timestamps_size();
    uint64_t row_bytes = prefix_.size() + kMaxTimestampText;
    uint64_t value_bytes = 0;
    bool any_field = false;
    for (const Column& column : block.columns()) {
      if (ColumnLength(column) != block.timestamps_size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "block \"", block.block_name().substr(0, 200), "\": column \"",
            column.name().substr(0, 200), "\" has ", ColumnLength(column),
            " values for ", block.timestamps_size(), " timestamps"));
      }
      if (absl::Status s = ColumnText(block, column, exact, &value_bytes);
          !s.ok()) {
        return s;
      }
      if (!CheckKey(NameKind::kFieldKey, column.name()).ok()) continue;
      key_scratch_.clear();
      if (absl::Status s = AppendEscapedName(NameKind::kFieldKey,
                                             column.name(), &key_scratch_);
          !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "block \"", block.block_name().substr(0, 200), "\", column \"",
            column.name().substr(0, 200), "\": ", s.message()));
      }
      row_bytes += key_scratch_.size() + 2;  // "key=" and ','
      any_field = true;
    }
    // A block without a field writes no point.
    if (any_field) *bound += rows * row_bytes + value_bytes;
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> FeedConverter::EncodedSizeBound(
    const ocs::influx::v1::OcsFeed& feed) {
  if (!feed.record() || feed.agg_params().exclude_influx()) return 0;
  if (absl::Status s = Prepare(feed); !s.ok()) return s;
  uint64_t bound = 0;
  if (absl::Status s = Bound(feed, /*exact=*/true, &bound); !s.ok()) return s;
  return bound;
}

template <typename Sink>
absl::Status FeedConverter::ConvertTo(const ocs::influx::v1::OcsFeed& feed,
                                      uint64_t used, uint64_t limit, Sink* sink,
                                      EncodeResult* result) {
  if (!feed.record() || feed.agg_params().exclude_influx()) {
    return absl::OkStatus();
  }
  if (absl::Status s = Prepare(feed); !s.ok()) return s;
  // What the feed would write is known before anything is written: a feed
  // repeats its measurement and tag per row, so a small publication may ask
  // for gigabytes. The quick bound (every value at its longest) settles
  // the usual feed; only one that seems too large is looked at closely.
  const uint64_t room = used < limit ? limit - used : 0;
  uint64_t bound = 0;
  if (absl::Status s = Bound(feed, /*exact=*/false, &bound); !s.ok()) return s;
  if (bound > room) {
    if (absl::Status s = Bound(feed, /*exact=*/true, &bound); !s.ok()) return s;
  }
  if (bound > room) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line protocol of up to ", bound, " bytes",
        used > 0 ? absl::StrCat(" (after ", used, " bytes before it in this request)")
                 : std::string(),
        " would pass ", RequestLimitText(limit),
        "; send it in smaller publications"));
  }

  EncodeResult local;
  for (const Block& block : feed.blocks()) {
    const int ncols = block.columns_size();
    if (field_keys_.size() < static_cast<size_t>(ncols)) {
      field_keys_.resize(ncols);
    }
    column_usable_.assign(ncols, true);
    for (int c = 0; c < ncols; ++c) {
      const Column& column = block.columns(c);
      std::string& key = field_keys_[c];
      key.clear();
      if (!CheckKey(NameKind::kFieldKey, column.name()).ok()) {
        // A field InfluxDB would refuse (time, ...) costs that field, not
        // the point: the Python agent's whole batch failed on it.
        column_usable_[c] = false;
        local.dropped.Add(DropReason::kReservedFieldKey,
                          block.timestamps_size());
        continue;
      }
      // Bound() has escaped every key without error.
      AppendEscapedName(NameKind::kFieldKey, column.name(), &key).IgnoreError();
      key.push_back('=');
    }
    for (int row = 0; row < block.timestamps_size(); ++row) {
      int64_t ns;
      if (!SecondsToNanoseconds(block.timestamps(row), &ns)) {
        local.dropped.Add(DropReason::kTimestampOverflow);
        continue;
      }
      LineWriter* out = sink->line();
      const size_t line_start = out->size();
      out->Put(prefix_);
      int written = 0;
      for (int c = 0; c < ncols; ++c) {
        if (!column_usable_[c]) continue;
        const size_t field_start = out->size();
        // The prefix ends in a space; a point's fields follow it directly.
        const std::string& key = field_keys_[c];
        char* p = out->Room(key.size() + 1);
        *p = ',';
        p += written > 0;
        CopyShort(p, key.data(), key.size());
        out->Advance(p + key.size());
        if (WriteValue(block.columns(c), row, out, &local.dropped)) {
          ++written;
        } else {
          out->Truncate(field_start);
        }
      }
      if (written == 0) {
        out->Truncate(line_start);
        local.dropped.Add(DropReason::kNoFieldsLeft);
        continue;
      }
      WriteTimestampAndNewline(ns, out);
      sink->EndLine(prefix_.size() - 1);  // the prefix is the key and a space
      ++local.points;
    }
  }
  result->points += local.points;
  result->dropped.Merge(local.dropped);
  return absl::OkStatus();
}

absl::Status FeedConverter::Convert(const ocs::influx::v1::OcsFeed& feed,
                                    std::string* out, EncodeResult* result) {
  const uint64_t used = out->size();
  StringSink sink(out);
  absl::Status s = ConvertTo(feed, used, kMaxRequestLineBytes, &sink, result);
  if (!s.ok()) sink.Rollback();
  return s;
}

absl::Status FeedConverter::Convert(const ocs::influx::v1::OcsFeed& feed,
                                    LineChunks* out, EncodeResult* result) {
  ChunkSink sink(out);
  absl::Status s = ConvertTo(feed, out->bytes(), out->limit(), &sink, result);
  if (!s.ok()) sink.Rollback();
  return s;
}

}  // namespace ocs_influx::core
