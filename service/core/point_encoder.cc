#include "service/core/point_encoder.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "service/core/float_format.h"
#include "service/core/line_builder.h"
#include "service/core/same_bytes.h"

namespace ocs_influx::core {
namespace {

using ocs::influx::v1::FieldValue;
using ocs::influx::v1::Point;

absl::Status PointError(size_t index, const Point& point, absl::string_view what,
                        const absl::Status& cause) {
  return absl::InvalidArgumentError(absl::StrCat(
      "point ", index, " (measurement \"", point.measurement().substr(0, 200),
      "\")", what.empty() ? "" : ": ", what, ": ", cause.message()));
}

// The points of one request mostly repeat their field keys in the same
// order. A key equal to the previous point's key at the same position,
// which was valid and needed no escape there, is copied as it is: no
// second check and scan of the same bytes.
struct KeyMemo {
  const Point* previous = nullptr;
  uint64_t plain = 0;  // bit j: previous->fields(j).key() was written as is
};

absl::Status EncodePointMemo(const Point& point, int64_t now_ns, size_t index,
                             LineWriter* out, EncodeResult* result,
                             KeyMemo* memo, size_t* key_bytes = nullptr);

}  // namespace

absl::Status EncodePoint(const Point& point, int64_t now_ns, size_t index,
                         std::string* out, EncodeResult* result) {
  LineWriter writer(out);
  return EncodePointMemo(point, now_ns, index, &writer, result, nullptr);
}

namespace {

absl::Status EncodePointMemo(const Point& point, int64_t now_ns, size_t index,
                             LineWriter* out, EncodeResult* result,
                             KeyMemo* memo, size_t* key_bytes) {
  const size_t start = out->size();
  auto fail = [&](absl::string_view what, const absl::Status& cause) {
    out->Truncate(start);
    return PointError(index, point, what, cause);
  };
  if (point.measurement() == "time") {
    return fail("", absl::InvalidArgumentError("measurement \"time\" is reserved"));
  }
  if (absl::Status s = WriteEscapedName(NameKind::kMeasurement,
                                        point.measurement(), out);
      !s.ok()) {
    return fail("", s);
  }
  for (const auto& tag : point.tags()) {
    if (absl::Status s = CheckKey(NameKind::kTagKey, tag.key()); !s.ok()) {
      return fail(absl::StrCat("tag \"", tag.key().substr(0, 200), "\""), s);
    }
    if (tag.value().empty()) {
      result->dropped.Add(DropReason::kEmptyTagValue);
      continue;
    }
    out->Put(',');
    absl::Status s = WriteEscapedName(NameKind::kTagKey, tag.key(), out);
    if (s.ok()) {
      out->Put('=');
      s = WriteEscapedName(NameKind::kTagValue, tag.value(), out);
    }
    if (!s.ok()) {
      return fail(absl::StrCat("tag \"", tag.key().substr(0, 200), "\""), s);
    }
  }
  if (absl::Status s = CheckSeriesKeySize(out->size() - start); !s.ok()) {
    return fail("", s);
  }
  if (key_bytes != nullptr) *key_bytes = out->size() - start;
  if (point.fields().empty()) {
    return fail("", absl::InvalidArgumentError("a point needs at least one field"));
  }
  DropCounts drops;
  int written = 0;
  const Point* previous = memo != nullptr ? memo->previous : nullptr;
  const int previous_fields = previous != nullptr ? previous->fields_size() : 0;
  uint64_t plain = 0;
  for (int j = 0; j < point.fields_size(); ++j) {
    const auto& field = point.fields(j);
    const std::string& key = field.key();
    bool known_plain = false;
    if (j < 64 && j < previous_fields && ((memo->plain >> j) & 1) != 0) {
      const std::string& previous_key = previous->fields(j).key();
      known_plain = previous_key.size() == key.size() &&
                    SameBytes(previous_key.data(), key.data(), key.size());
    }
    auto field_fail = [&](const absl::Status& s) {
      return fail(absl::StrCat("field \"", key.substr(0, 200), "\""), s);
    };
    if (!known_plain) {
      if (absl::Status s = CheckKey(NameKind::kFieldKey, key); !s.ok()) {
        return field_fail(s);
      }
    }
    // Dropped by rule, or refused, before the key is written.
    const FieldValue& value = field.value();
    const FieldValue::ValueCase value_case = value.value_case();
    if (value_case == FieldValue::kDoubleValue) {
      if (!std::isfinite(value.double_value())) {
        drops.Add(DropReason::kNonFiniteFloat);
        continue;
      }
    } else if (value_case == FieldValue::VALUE_NOT_SET) {
      drops.Add(DropReason::kNullValue);
      continue;
    } else if (value_case == FieldValue::kUintValue &&
               value.uint_value() >
                   static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return field_fail(absl::InvalidArgumentError(absl::StrCat(
          "unsigned value ", value.uint_value(),
          " does not fit InfluxDB 1.x's signed 64-bit integers")));
    }
    const char separator = written == 0 ? ' ' : ',';
    if (known_plain) {
      char* p = out->Room(key.size() + 2);
      *p++ = separator;
      CopyShort(p, key.data(), key.size());
      p += key.size();
      *p++ = '=';
      out->Advance(p);
    } else {
      out->Put(separator);
      const size_t key_start = out->size();
      if (absl::Status s = WriteEscapedName(NameKind::kFieldKey, key, out);
          !s.ok()) {
        return field_fail(s);
      }
      // Written as it is: the next point may copy it without a check.
      if (out->size() - key_start == key.size() && j < 64) {
        plain |= uint64_t{1} << j;
      }
      out->Put('=');
    }
    if (known_plain) plain |= uint64_t{1} << j;
    switch (value_case) {
      case FieldValue::kDoubleValue:
        WriteDouble(value.double_value(), out);
        break;
      case FieldValue::kIntValue:
        WriteInt(value.int_value(), out);
        break;
      case FieldValue::kUintValue:
        WriteInt(static_cast<int64_t>(value.uint_value()), out);
        break;
      case FieldValue::kBoolValue:
        WriteBool(value.bool_value(), out);
        break;
      case FieldValue::kStringValue:
        if (absl::Status s = WriteStringValue(value.string_value(), out);
            !s.ok()) {
          return field_fail(s);
        }
        break;
      case FieldValue::VALUE_NOT_SET:
        break;
    }
    ++written;
  }
  if (memo != nullptr) {
    memo->previous = &point;
    memo->plain = plain;
  }
  int64_t timestamp = now_ns;
  if (point.has_timestamp_ns()) {
    timestamp = point.timestamp_ns();
    if (timestamp < kMinTimestampNs || timestamp > kMaxTimestampNs) {
      return fail("timestamp_ns",
                  absl::InvalidArgumentError(absl::StrCat(
                      timestamp, " is outside InfluxDB's range +/-",
                      kMaxTimestampNs)));
    }
  }
  if (written == 0) {
    out->Truncate(start);
    drops.Add(DropReason::kNoFieldsLeft);
    result->dropped.Merge(drops);
    return absl::OkStatus();
  }
  WriteTimestampAndNewline(timestamp, out);
  result->dropped.Merge(drops);
  ++result->points;
  return absl::OkStatus();
}

}  // namespace

absl::Status EncodeWriteRequest(const ocs::influx::v1::WriteRequest& request,
                                int64_t now_ns, std::string* out,
                                EncodeResult* result) {
  // One writer for the whole request: the string grows a step at a time.
  LineWriter writer(out);
  const size_t start = writer.size();
  EncodeResult local;
  KeyMemo memo;
  for (int i = 0; i < request.points_size(); ++i) {
    if (absl::Status s =
            EncodePointMemo(request.points(i), now_ns, i, &writer, &local, &memo);
        !s.ok()) {
      writer.Truncate(start);
      return s;
    }
  }
  writer.Close();
  result->points += local.points;
  result->dropped.Merge(local.dropped);
  return absl::OkStatus();
}

absl::Status EncodeWriteRequest(const ocs::influx::v1::WriteRequest& request,
                                int64_t now_ns, LineChunks* out,
                                EncodeResult* result) {
  const LineChunks::Mark start = out->mark();
  EncodeResult local;
  KeyMemo memo;
  for (int i = 0; i < request.points_size(); ++i) {
    const uint32_t before = local.points;
    absl::Status s;
    size_t key_bytes = 0;
    {
      LineWriter writer(out->tail());
      s = EncodePointMemo(request.points(i), now_ns, i, &writer, &local, &memo, &key_bytes);
    }
    if (s.ok() && local.points != before) {
      out->EndLine(key_bytes);
      if (out->over_limit()) {
        s = absl::InvalidArgumentError(absl::StrCat(
            "point ", i, ": the request's line protocol passes ",
            RequestLimitText(out->limit()), "; send it in smaller requests"));
      }
    }
    if (!s.ok()) {
      out->Rollback(start);
      return s;
    }
  }
  result->points += local.points;
  result->dropped.Merge(local.dropped);
  return absl::OkStatus();
}

}  // namespace ocs_influx::core
