#include "service/core/line_builder.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ocs_influx::core {
namespace {

bool IsEscaped(NameKind kind, char c) {
  if (c == ',' || c == ' ') return true;
  // InfluxDB 1.6 unescapes "\=" in measurements too, so a backslash before
  // '=' is ambiguous there as well; '=' itself needs no escape in one.
  return c == '=' && kind != NameKind::kMeasurement;
}

bool AmbiguousBackslash(absl::string_view name, size_t i) {
  if (i + 1 == name.size()) return true;
  char next = name[i + 1];
  return next == ',' || next == ' ' || next == '=';
}

absl::string_view KindName(NameKind kind) {
  switch (kind) {
    case NameKind::kMeasurement: return "measurement";
    case NameKind::kTagKey: return "tag key";
    case NameKind::kTagValue: return "tag value";
    case NameKind::kFieldKey: return "field key";
  }
  return "name";
}

}  // namespace

void LineWriter::Grow(size_t n) {
  const size_t used = size();
  out_->resize(used + (n > min_grow_ ? n : min_grow_));
  p_ = out_->data() + used;
  end_ = out_->data() + out_->size();
}

absl::Status AppendEscapedName(NameKind kind, absl::string_view name,
                               std::string* out) {
  LineWriter writer(out, 0);
  return WriteEscapedName(kind, name, &writer);
}

absl::Status AppendStringValue(absl::string_view value, std::string* out) {
  LineWriter writer(out, 0);
  return WriteStringValue(value, &writer);
}

absl::Status WriteEscapedName(NameKind kind, absl::string_view name,
                              LineWriter* out) {
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(KindName(kind), " is empty"));
  }
  if (name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(KindName(kind), " of ", name.size(),
                     " bytes is over InfluxDB's limit of ", kMaxNameBytes));
  }
  if (kind == NameKind::kMeasurement && name[0] == '#') {
    // InfluxDB skips a line starting with '#' as a comment, without error.
    return absl::InvalidArgumentError(
        "measurement starts with '#', which InfluxDB reads as a comment");
  }
  // Most names need no escape: find the first byte that might, with one
  // table look-up per byte, and copy the run before it in one go.
  static constexpr auto kSpecial = [] {
    std::array<bool, 256> t{};
    for (unsigned char c : {',', ' ', '=', '\\', '\n', '\r'}) t[c] = true;
    return t;
  }();
  size_t plain = 0;
  // Four look-ups per branch while four bytes remain.
  const auto* bytes = reinterpret_cast<const unsigned char*>(name.data());
  while (plain + 4 <= name.size() &&
         !(kSpecial[bytes[plain]] | kSpecial[bytes[plain + 1]] |
           kSpecial[bytes[plain + 2]] | kSpecial[bytes[plain + 3]])) {
    plain += 4;
  }
  while (plain < name.size() && !kSpecial[bytes[plain]]) ++plain;
  if (plain == name.size()) {
    out->Put(name);
    return absl::OkStatus();
  }
  // Every byte escaped at most once.
  char* p = out->Room(2 * name.size());
  std::memcpy(p, name.data(), plain);
  p += plain;
  for (size_t i = plain; i < name.size(); ++i) {
    char c = name[i];
    if (c == '\n' || c == '\r') {
      return absl::InvalidArgumentError(absl::StrCat(
          KindName(kind), " contains a newline, which line protocol cannot carry"));
    }
    if (c == '\\' && AmbiguousBackslash(name, i)) {
      return absl::InvalidArgumentError(absl::StrCat(
          KindName(kind),
          " has a backslash at its end or before ',', '=' or ' ', which "
          "InfluxDB cannot read back"));
    }
    if (IsEscaped(kind, c)) *p++ = '\\';
    *p++ = c;
  }
  out->Advance(p);
  return absl::OkStatus();
}

absl::Status WriteStringValue(absl::string_view value, LineWriter* out) {
  if (value.size() > kMaxStringValueBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "string value of ", value.size(), " bytes is over the limit of ",
        kMaxStringValueBytes));
  }
  // Quotes, and every byte escaped at most once.
  char* p = out->Room(2 + 2 * value.size());
  *p++ = '"';
  size_t plain = 0;
  while (plain < value.size()) {
    char c = value[plain];
    if (c == '"' || c == '\\' || c == '\n' || c == '\r') break;
    ++plain;
  }
  std::memcpy(p, value.data(), plain);
  p += plain;
  for (size_t i = plain; i < value.size(); ++i) {
    char c = value[i];
    switch (c) {
      case '"': *p++ = '\\'; *p++ = '"'; break;
      case '\\':
        // InfluxDB unescapes only \" and \\ in strings: a backslash before
        // anything else is read literally, so doubling it is needed only
        // there. Keeps the Python agent's bytes for such strings and makes
        // parse-then-encode idempotent.
        *p++ = '\\';
        if (i + 1 == value.size() || value[i + 1] == '"' ||
            value[i + 1] == '\\' || value[i + 1] == '\n' ||
            value[i + 1] == '\r') {
          *p++ = '\\';
        }
        break;
      case '\n': *p++ = '\\'; *p++ = 'n'; break;
      case '\r': *p++ = '\\'; *p++ = 'r'; break;
      default: *p++ = c;
    }
  }
  *p++ = '"';
  out->Advance(p);
  return absl::OkStatus();
}

absl::Status CheckSeriesKeySize(size_t escaped_bytes) {
  if (escaped_bytes <= kMaxSeriesKeyBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "series key (measurement and tags) of ", escaped_bytes,
      " bytes is over InfluxDB's limit of ", kMaxSeriesKeyBytes));
}

absl::Status CheckKey(NameKind kind, absl::string_view key) {
  if (key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(KindName(kind), " is empty"));
  }
  // The first byte rules most keys out without a comparison.
  if ((key[0] == 't' || key[0] == '_') &&
      (key == "time" || key == "_field" || key == "_measurement")) {
    return absl::InvalidArgumentError(absl::StrCat(
        KindName(kind), " \"", key, "\" is reserved by InfluxDB"));
  }
  return absl::OkStatus();
}

bool SecondsToNanoseconds(double seconds, int64_t* nanoseconds) {
  double ns = seconds * 1e9;
  // Every double strictly inside (-2^63, 2^63) converts without overflow;
  // NaN fails both comparisons.
  if (!(ns > -9223372036854775808.0 && ns < 9223372036854775808.0)) {
    return false;
  }
  int64_t truncated = static_cast<int64_t>(ns);
  if (truncated < kMinTimestampNs || truncated > kMaxTimestampNs) return false;
  *nanoseconds = truncated;
  return true;
}

void AppendInt(int64_t value, std::string* out) {
  char buffer[24];
  auto res = std::to_chars(buffer, buffer + sizeof(buffer), value);
  *res.ptr++ = 'i';
  out->append(buffer, res.ptr - buffer);
}

void AppendBool(bool value, std::string* out) {
  out->append(value ? "True" : "False");
}

void AppendTimestampAndNewline(int64_t nanoseconds, std::string* out) {
  char buffer[24];
  buffer[0] = ' ';
  auto res = std::to_chars(buffer + 1, buffer + sizeof(buffer), nanoseconds);
  *res.ptr++ = '\n';
  out->append(buffer, res.ptr - buffer);
}

}  // namespace ocs_influx::core
