#include "service/core/feed_convert.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "service/core/float_format.h"
#include "service/core/line_builder.h"

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
bool AppendMixedValue(const FieldValue& value, std::string* out,
                      DropCounts* drops) {
  switch (value.value_case()) {
    case FieldValue::kDoubleValue:
      if (!std::isfinite(value.double_value())) {
        drops->Add(DropReason::kNonFiniteFloat);
        return false;
      }
      AppendDouble(value.double_value(), out);
      return true;
    case FieldValue::kIntValue:
      AppendInt(value.int_value(), out);
      return true;
    case FieldValue::kUintValue:
      if (value.uint_value() >
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        drops->Add(DropReason::kIntegerOverflow);
        return false;
      }
      AppendInt(static_cast<int64_t>(value.uint_value()), out);
      return true;
    case FieldValue::kBoolValue:
      AppendBool(value.bool_value(), out);
      return true;
    case FieldValue::kStringValue:
      // Over-long strings were refused before any point was written.
      AppendStringValue(value.string_value(), out).IgnoreError();
      return true;
    case FieldValue::VALUE_NOT_SET:
      drops->Add(DropReason::kNullValue);
      return false;
  }
  return false;
}

bool AppendValue(const Column& column, int row, std::string* out,
                 DropCounts* drops) {
  switch (column.values_case()) {
    case Column::kDoubles: {
      double v = column.doubles().values(row);
      if (!std::isfinite(v)) {
        drops->Add(DropReason::kNonFiniteFloat);
        return false;
      }
      AppendDouble(v, out);
      return true;
    }
    case Column::kInts:
      AppendInt(column.ints().values(row), out);
      return true;
    case Column::kBools:
      AppendBool(column.bools().values(row), out);
      return true;
    case Column::kStrings:
      AppendStringValue(column.strings().values(row), out).IgnoreError();
      return true;
    case Column::kMixed:
      return AppendMixedValue(column.mixed().values(row), out, drops);
    case Column::VALUES_NOT_SET:
      return false;
  }
  return false;
}

absl::Status CheckStrings(const Block& block, const Column& column) {
  auto check = [&](absl::string_view s) -> absl::Status {
    if (s.size() <= kMaxStringValueBytes) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        "block \"", block.block_name().substr(0, 200), "\", column \"",
        column.name().substr(0, 200), "\": string value of ", s.size(),
        " bytes is over the limit of ", kMaxStringValueBytes));
  };
  if (column.values_case() == Column::kStrings) {
    for (const auto& s : column.strings().values()) {
      if (absl::Status st = check(s); !st.ok()) return st;
    }
  } else if (column.values_case() == Column::kMixed) {
    for (const auto& v : column.mixed().values()) {
      if (v.value_case() != FieldValue::kStringValue) continue;
      if (absl::Status st = check(v.string_value()); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FeedConverter::Convert(const ocs::influx::v1::OcsFeed& feed,
                                    std::string* out, EncodeResult* result) {
  if (!feed.record() || feed.agg_params().exclude_influx()) {
    return absl::OkStatus();
  }
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
  prefix_.push_back(' ');

  // Validate every block before writing any point: a request is accepted
  // whole or not at all.
  for (const Block& block : feed.blocks()) {
    for (const Column& column : block.columns()) {
      if (ColumnLength(column) != block.timestamps_size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "block \"", block.block_name().substr(0, 200), "\": column \"",
            column.name().substr(0, 200), "\" has ", ColumnLength(column),
            " values for ", block.timestamps_size(), " timestamps"));
      }
      if (absl::Status s = CheckStrings(block, column); !s.ok()) return s;
    }
  }

  const size_t start = out->size();
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
      if (absl::Status s =
              AppendEscapedName(NameKind::kFieldKey, column.name(), &key);
          !s.ok()) {
        out->resize(start);
        return absl::InvalidArgumentError(absl::StrCat(
            "block \"", block.block_name().substr(0, 200), "\", column \"",
            column.name().substr(0, 200), "\": ", s.message()));
      }
      key.push_back('=');
    }
    for (int row = 0; row < block.timestamps_size(); ++row) {
      int64_t ns;
      if (!SecondsToNanoseconds(block.timestamps(row), &ns)) {
        local.dropped.Add(DropReason::kTimestampOverflow);
        continue;
      }
      const size_t line_start = out->size();
      out->append(prefix_);
      int written = 0;
      for (int c = 0; c < ncols; ++c) {
        if (!column_usable_[c]) continue;
        const size_t field_start = out->size();
        if (written > 0) out->push_back(',');
        out->append(field_keys_[c]);
        if (AppendValue(block.columns(c), row, out, &local.dropped)) {
          ++written;
        } else {
          out->resize(field_start);
        }
      }
      if (written == 0) {
        out->resize(line_start);
        local.dropped.Add(DropReason::kNoFieldsLeft);
        continue;
      }
      // The prefix ends in a space; a point's fields follow it directly.
      AppendTimestampAndNewline(ns, out);
      ++local.points;
    }
  }
  result->points += local.points;
  result->dropped.Merge(local.dropped);
  return absl::OkStatus();
}

}  // namespace ocs_influx::core
