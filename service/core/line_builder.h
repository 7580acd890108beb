// Builds InfluxDB 1.x line protocol into a caller-owned buffer, escaping as
// the spec requires and refusing, with a reason, what InfluxDB would refuse
// or silently misread. The buffer is reused across points, so encoding a
// point allocates nothing once it has grown to its working size.
//
// Escaping (InfluxDB line protocol reference):
//   measurement                      ,  space
//   tag keys, tag values, field keys ,  =  space
//   string field values              "  and a backslash before " or \ or at
//                                    the end (InfluxDB reads any other
//                                    backslash literally)
// A backslash is kept literally, which is only unambiguous when it is not
// the last character of a name and is not followed by a character that is
// escaped there; such names are refused. No newline or carriage return can
// enter a line: in names they are refused, in string values they are written
// as the two characters \n and \r (InfluxDB reads those back literally).
#ifndef OCS_INFLUX_SERVICE_CORE_LINE_BUILDER_H_
#define OCS_INFLUX_SERVICE_CORE_LINE_BUILDER_H_

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "service/core/float_format.h"
#include "service/core/number_text.h"

namespace ocs_influx::core {

// InfluxDB 1.x accepts timestamps in [kMinTimestampNs, kMaxTimestampNs].
inline constexpr int64_t kMaxTimestampNs = 9223372036854775806LL;
inline constexpr int64_t kMinTimestampNs = -9223372036854775806LL;
inline constexpr size_t kMaxStringValueBytes = 64 * 1024;
// InfluxDB 1.x refuses a point whose series key -- measurement and tags as
// written, escapes included -- is longer than 65535 bytes (models'
// MaxKeyLength), failing the point's whole batch. No name may be longer
// either: refused here, the cost of a long name stays linear in its size
// instead of being repeated per point of a feed.
inline constexpr size_t kMaxNameBytes = 65535;
inline constexpr size_t kMaxSeriesKeyBytes = 65535;

enum class NameKind { kMeasurement, kTagKey, kTagValue, kFieldKey };

// Writes line protocol through a pointer into `out`: Room(n) makes n bytes
// writable at the cursor, the caller writes them and moves the cursor with
// Advance. The string is grown ahead of the cursor (by resize, so what is
// past the cursor is scratch) a step at a time; Close gives it the size
// written. One bounds check per value instead of a std::string append per
// piece (a call and a capacity check each): the encoders' hot loops.
// While open, the string's size is not the line's: use size()/Truncate.
class LineWriter {
 public:
  // `min_grow`: the least the string grows by, so that a line of many small
  // pieces grows it a few times at most.
  explicit LineWriter(std::string* out, size_t min_grow = 1024)
      : out_(out), min_grow_(min_grow) {
    p_ = end_ = out->data() + out->size();
  }
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;
  ~LineWriter() { Close(); }

  char* Room(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) Grow(n);
    return p_;
  }
  void Advance(char* p) { p_ = p; }
  void Put(char c) { *Room(1) = c; ++p_; }
  void Put(const char* data, size_t n) {
    std::memcpy(Room(n), data, n);
    p_ += n;
  }
  void Put(absl::string_view s) { Put(s.data(), s.size()); }

  // Bytes of the string up to the cursor.
  size_t size() const { return static_cast<size_t>(p_ - out_->data()); }
  // The bytes written from `from` (a size() taken earlier) to the cursor.
  absl::string_view WrittenSince(size_t from) const {
    return absl::string_view(out_->data() + from, size() - from);
  }
  void Truncate(size_t size) { p_ = out_->data() + size; }
  // The string gets its size; writing may go on (it grows again).
  void Close() {
    out_->resize(size());
    end_ = p_ = out_->data() + out_->size();
  }
  // Writes to `out` from its end on; the writer must be closed (its old
  // string is left as it is).
  void Attach(std::string* out) {
    out_ = out;
    p_ = end_ = out->data() + out->size();
  }

 private:
  void Grow(size_t n);

  std::string* out_;
  size_t min_grow_;
  char* p_;
  char* end_;
};

// Appends `name` escaped for its position. Errors name no context: callers
// add which point and which name. Refuses names over kMaxNameBytes.
absl::Status AppendEscapedName(NameKind kind, absl::string_view name,
                               std::string* out);

// Appends `"value"` escaped. Refuses values over kMaxStringValueBytes.
absl::Status AppendStringValue(absl::string_view value, std::string* out);

// The same through a writer.
absl::Status WriteEscapedName(NameKind kind, absl::string_view name,
                              LineWriter* out);
absl::Status WriteStringValue(absl::string_view value, LineWriter* out);

// Refuses a series key (measurement and tags, escaped) over
// kMaxSeriesKeyBytes.
absl::Status CheckSeriesKeySize(size_t escaped_bytes);

// Refuses keys InfluxDB reserves (time, _field, _measurement) and empty ones.
absl::Status CheckKey(NameKind kind, absl::string_view key);

// trunc(seconds * 1e9) in double arithmetic, as Python's int(t * 1e9);
// false when the result is NaN or outside InfluxDB's range.
bool SecondsToNanoseconds(double seconds, int64_t* nanoseconds);

void AppendInt(int64_t value, std::string* out);  // "123i"
void AppendBool(bool value, std::string* out);    // "True" / "False"
// " 1615394417359038720\n"
void AppendTimestampAndNewline(int64_t nanoseconds, std::string* out);

// As the Append functions above, inline for the encoders' loops.
inline void WriteDouble(double value, LineWriter* out) {  // as AppendDouble
  out->Advance(FormatDouble(value, out->Room(kMaxDoubleChars)));
}
inline void WriteInt(int64_t value, LineWriter* out) {
  char* p = out->Room(21);
  p = std::to_chars(p, p + 20, value).ptr;
  *p++ = 'i';
  out->Advance(p);
}
inline void WriteBool(bool value, LineWriter* out) {
  if (value) {
    out->Put("True", 4);
  } else {
    out->Put("False", 5);
  }
}
inline void WriteTimestampAndNewline(int64_t nanoseconds, LineWriter* out) {
  char* p = out->Room(22);
  *p++ = ' ';
  char* const end = WriteNineteenDigitTimestamp(nanoseconds, p);
  p = end != nullptr ? end : std::to_chars(p, p + 20, nanoseconds).ptr;
  *p++ = '\n';
  out->Advance(p);
}

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_LINE_BUILDER_H_
