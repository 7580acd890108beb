#include "service/core/line_parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "absl/strings/str_cat.h"
#include "service/core/float_format.h"
#include "service/core/line_builder.h"
#include "service/core/number_text.h"
#include "service/core/same_bytes.h"

namespace ocs_influx::core {
namespace {

absl::Status ErrorAt(size_t pos, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("column ", pos + 1, ": ", why));
}

// Bytes that end a run of plain name bytes: a backslash, ',' and ' ', and
// for keys '=' too. One table look-up per byte.
struct NameStops {
  std::array<bool, 256> value{};  // measurements and tag values
  std::array<bool, 256> key{};    // tag and field keys
};
constexpr NameStops kNameStops = [] {
  NameStops t;
  for (unsigned char c : {'\\', ',', ' '}) t.value[c] = t.key[c] = true;
  t.key['='] = true;
  return t;
}();

// Eight bytes at a time (SWAR, little-endian loads): which bytes equal `c`,
// as 0x80 in that byte. Exact for the lowest match, which is all we use.
constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;
inline uint64_t BytesEqual(uint64_t v, unsigned char c) {
  const uint64_t x = v ^ (kOnes * c);
  return (x - kOnes) & ~x & kHighs;
}

// The first byte at or after `pos` that ends a run of plain name bytes (a
// backslash, ',', ' ', and '=' for keys), or `size`.
template <bool kKey>
__attribute__((always_inline)) inline size_t FindNameStop(const char* data, size_t pos, size_t size) {
#ifdef __SSE2__
  // Sixteen bytes at a time: most names end in the first block.
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i space = _mm_set1_epi8(' ');
  const __m128i equals = _mm_set1_epi8('=');
  while (pos + 16 <= size) {
    const __m128i v =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + pos));
    __m128i hits = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, backslash), _mm_cmpeq_epi8(v, comma)),
        _mm_cmpeq_epi8(v, space));
    if (kKey) hits = _mm_or_si128(hits, _mm_cmpeq_epi8(v, equals));
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hits));
    if (mask != 0) return pos + static_cast<size_t>(__builtin_ctz(mask));
    pos += 16;
  }
#endif
  while (pos + 8 <= size) {
    uint64_t v;
    std::memcpy(&v, data + pos, 8);
    uint64_t hits = BytesEqual(v, '\\') | BytesEqual(v, ',') | BytesEqual(v, ' ');
    if (kKey) hits |= BytesEqual(v, '=');
    if (hits != 0) return pos + static_cast<size_t>(__builtin_ctzll(hits)) / 8;
    pos += 8;
  }
  const std::array<bool, 256>& stops = kKey ? kNameStops.key : kNameStops.value;
  while (pos < size && !stops[static_cast<unsigned char>(data[pos])]) ++pos;
  return pos;
}

// Scans a name up to an unescaped ',' or ' ' (and '=' for keys),
// unescaping \, \= and \space, and keeping any other backslash pair as it
// is. `*name` views the line when the name holds no backslash, else
// `*storage`, which holds it unescaped.
template <bool kKey>
size_t ScanEscapedName(absl::string_view line, size_t start, size_t run,
                       std::string* storage, absl::string_view* name);

// Inline in ParseLine: the plain name, which is the usual one, costs no
// call.
template <bool kKey>
__attribute__((always_inline)) inline size_t ScanName(
    absl::string_view line, size_t pos, std::string* storage,
    absl::string_view* name) {
  const char* const data = line.data();
  const size_t size = line.size();
  const size_t run = FindNameStop<kKey>(data, pos, size);
  if (run >= size || data[run] != '\\') {
    *name = absl::string_view(data + pos, run - pos);
    return run;
  }
  return ScanEscapedName<kKey>(line, pos, run, storage, name);
}

// The name from `start` on, whose first backslash is at `run`.
template <bool kKey>
__attribute__((noinline)) size_t ScanEscapedName(absl::string_view line,
                                                  size_t start, size_t run,
                                                  std::string* storage,
                                                  absl::string_view* name) {
  const char* const data = line.data();
  const size_t size = line.size();
  storage->assign(data + start, run - start);
  size_t pos = run;
  while (pos < size && data[pos] == '\\') {
    if (pos + 1 >= size) {
      storage->push_back('\\');
      ++pos;
      break;
    }
    char next = data[pos + 1];
    if (next != ',' && next != '=' && next != ' ') storage->push_back('\\');
    storage->push_back(next);
    pos += 2;
    run = FindNameStop<kKey>(data, pos, size);
    storage->append(data + pos, run - pos);
    pos = run;
  }
  *name = *storage;
  return pos;
}

bool IsBoolText(absl::string_view t, bool* value) {
  if (t == "t" || t == "T" || t == "true" || t == "True" || t == "TRUE") {
    *value = true;
    return true;
  }
  if (t == "f" || t == "F" || t == "false" || t == "False" || t == "FALSE") {
    *value = false;
    return true;
  }
  return false;
}

// [-]digits[.digits][(e|E)[+-]digits], as influxd's scanNumber takes it.
bool IsFloatText(absl::string_view t) {
  size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  size_t digits = 0;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i, ++digits;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == t.size();
}

// Out of line: values with an exponent, near the end of a line or longer
// than 32 bytes are rare, and their scalar reading would crowd the loop.
__attribute__((noinline)) const char* ScalarKeptFloatEnd(const char* p, const char* end) {
  return KeptFloatEnd(p, end);
}

// The common float value (KeptFloatEnd's), kept as written: the double is
// never needed to forward the text, so it is not computed
// (ParsedFloatValue reads it when asked). Anything else returns false for
// the general path.
__attribute__((always_inline)) inline bool FastFloat(absl::string_view line,
                                                     size_t* pos,
                                                     ParsedField* field) {
  const char* const p = line.data() + *pos;
  const char* const end = line.data() + line.size();
  const char* value_end = KeptFloatEndWide(p, end);
  if (value_end == nullptr) value_end = ScalarKeptFloatEnd(p, end);
  if (value_end == nullptr) return false;
  field->type = FieldType::kFloat;
  field->float_text = absl::string_view(p, static_cast<size_t>(value_end - p));
  *pos = static_cast<size_t>(value_end - line.data());
  return true;
}

// Any value but the one FastFloat takes, which the caller tried first.
// Out of line: its error texts and copies would weigh on the loop.
__attribute__((noinline)) absl::Status ParseFieldValue(absl::string_view line,
                                                       size_t* pos,
                                                       ParsedField* field) {
  size_t start = *pos;
  if (start >= line.size()) return ErrorAt(start, "missing field value");
  if (line[start] == '"') {
    field->type = FieldType::kString;
    size_t i = start + 1;
    while (i < line.size() && line[i] != '"' && line[i] != '\\') ++i;
    if (i < line.size() && line[i] == '"') {
      // No backslash: the value as it stands in the line.
      field->string_value = line.substr(start + 1, i - start - 1);
    } else {
      std::string& value = field->string_storage;
      value.assign(line.data() + start + 1, i - start - 1);
      while (i < line.size()) {
        char c = line[i];
        if (c == '\\' && i + 1 < line.size() &&
            (line[i + 1] == '"' || line[i + 1] == '\\')) {
          value.push_back(line[i + 1]);
          i += 2;
          continue;
        }
        if (c == '"') break;
        value.push_back(c);
        ++i;
      }
      field->string_value = value;
    }
    if (i >= line.size()) return ErrorAt(start, "unterminated string value");
    if (field->string_value.size() > kMaxStringValueBytes) {
      return ErrorAt(start, absl::StrCat("string value over ",
                                         kMaxStringValueBytes, " bytes"));
    }
    *pos = i + 1;
    return absl::OkStatus();
  }
  size_t end = start;
  while (end < line.size() && line[end] != ',' && line[end] != ' ') ++end;
  absl::string_view text = line.substr(start, end - start);
  *pos = end;
  if (text.empty()) return ErrorAt(start, "missing field value");
  if (IsBoolText(text, &field->bool_value)) {
    field->type = FieldType::kBoolean;
    return absl::OkStatus();
  }
  char suffix = text.back();
  if (suffix == 'i' || suffix == 'u') {
    absl::string_view digits = text.substr(0, text.size() - 1);
    const char* first = digits.data();
    const char* last = first + digits.size();
    std::from_chars_result r;
    if (suffix == 'i') {
      field->type = FieldType::kInteger;
      r = std::from_chars(first, last, field->int_value);
    } else {
      field->type = FieldType::kUnsigned;
      r = (!digits.empty() && digits[0] == '-')
              ? std::from_chars_result{first, std::errc::invalid_argument}
              : std::from_chars(first, last, field->uint_value);
    }
    if (digits.empty() || r.ptr != last || r.ec == std::errc::invalid_argument) {
      return ErrorAt(start, absl::StrCat("invalid integer \"",
                                         text.substr(0, 64), "\""));
    }
    if (r.ec == std::errc::result_out_of_range) {
      return ErrorAt(start, absl::StrCat("integer \"", text.substr(0, 64),
                                         "\" out of range"));
    }
    return absl::OkStatus();
  }
  if (!IsFloatText(text)) {
    return ErrorAt(start, absl::StrCat("invalid field value \"",
                                       text.substr(0, 64), "\""));
  }
  field->type = FieldType::kFloat;
  field->float_text = {};
  // from_chars for double is exact and locale-free.
  auto r = std::from_chars(text.data(), text.data() + text.size(),
                           field->other_float_value);
  if (r.ec != std::errc() || !std::isfinite(field->other_float_value)) {
    return ErrorAt(start, absl::StrCat("float \"", text.substr(0, 64),
                                       "\" out of range"));
  }
  return absl::OkStatus();
}

size_t SkipSpaces(absl::string_view line, size_t pos) {
  while (pos < line.size() && line[pos] == ' ') ++pos;
  return pos;
}

size_t SkipBlanks(absl::string_view line, size_t pos) {
  while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
  return pos;
}

// InfluxDB stores one value of one type per field key and tag key: it
// refuses a line that names a tag twice ("duplicate tags") or a field twice
// with different types. Near-linear whatever the line: up to kHashedNames
// names go through a small open-addressed table on the stack (the first
// occurrence of each key), more are sorted in the point's scratch vector.
constexpr size_t kHashedNames = 64;
constexpr size_t kSlots = 2 * kHashedNames;  // 128, KeyHash's 7 bits

FieldType StoredType(FieldType type) {
  // Unsigned values are written as integers (InfluxDB 1.x has no unsigned).
  return type == FieldType::kUnsigned ? FieldType::kInteger : type;
}

// Cheap and good enough to spread keys: size, first and last 8 bytes. Keys
// that share them only cost a full comparison. Returns a slot index.
inline uint64_t KeyHash(absl::string_view key) {
  uint64_t head = 0;
  uint64_t tail = 0;
  const size_t n = key.size();
  if (n >= 8) {
    std::memcpy(&head, key.data(), 8);
    std::memcpy(&tail, key.data() + n - 8, 8);
  } else {
    std::memcpy(&head, key.data(), n);
  }
  // The high bits of a product depend on every bit below them: keys that
  // differ in one byte (Channel_01_T, Channel_02_T) land apart.
  const uint64_t h = ((head * 0x9E3779B97F4A7C15ULL) ^ tail ^ n) * 0xC2B2AE3D27D4EB4FULL;
  return h >> 57;  // 7 bits: kSlots
}

// Returns the index of an entry whose key an earlier entry has and
// `conflicts(earlier, later)` holds for, or `n` if none. `*repeated`: some
// key appeared twice (up to the conflict, if one is found).
template <typename Key, typename Conflicts>
size_t FindConflict(size_t n, Key key, Conflicts conflicts,
                    std::vector<size_t>* scratch, bool* repeated) {
  *repeated = false;
  if (n < 2) return n;
  if (n <= kHashedNames) {
    uint8_t slots[kSlots];  // index + 1 of the first entry with a key; 0 free
    std::memset(slots, 0, sizeof(slots));
    for (size_t i = 0; i < n; ++i) {
      const absl::string_view k = key(i);
      for (size_t s = KeyHash(k) & (kSlots - 1);; s = (s + 1) & (kSlots - 1)) {
        if (slots[s] == 0) {
          slots[s] = static_cast<uint8_t>(i + 1);
          break;
        }
        const size_t j = slots[s] - 1;
        if (key(j) == k) {
          *repeated = true;
          if (conflicts(j, i)) return i;
          break;
        }
      }
    }
    return n;
  }
  scratch->clear();
  for (size_t i = 0; i < n; ++i) scratch->push_back(i);
  // By key, then by order of appearance: the first of each key leads.
  std::sort(scratch->begin(), scratch->end(), [&key](size_t a, size_t b) {
    const int c = key(a).compare(key(b));
    return c != 0 ? c < 0 : a < b;
  });
  size_t first = (*scratch)[0];
  for (size_t i = 1; i < n; ++i) {
    const size_t j = (*scratch)[i];
    if (key(j) != key(first)) {
      first = j;
      continue;
    }
    *repeated = true;
    if (conflicts(first, j)) return j;
  }
  return n;
}

absl::Status CheckDuplicateTags(ParsedPoint* point) {
  const auto& tags = point->tags;
  bool repeated;
  if (FindConflict(
          point->num_tags, [&tags](size_t i) { return tags[i].key; },
          [](size_t, size_t) { return true; }, &point->scratch,
          &repeated) != point->num_tags) {
    return absl::InvalidArgumentError("duplicate tags");
  }
  return absl::OkStatus();
}

// `*fields_repeat`: some field key appears twice (with the same type).
absl::Status CheckDuplicates(ParsedPoint* point, bool* fields_repeat) {
  if (absl::Status s = CheckDuplicateTags(point); !s.ok()) return s;
  const auto& fields = point->fields;
  const size_t conflict = FindConflict(
      point->num_fields,
      [&fields](size_t i) { return fields[i].key; },
      [&fields](size_t a, size_t b) {
        return StoredType(fields[a].type) != StoredType(fields[b].type);
      },
      &point->scratch, fields_repeat);
  if (conflict != point->num_fields) {
    return absl::InvalidArgumentError(absl::StrCat(
        "field \"", fields[conflict].key.substr(0, 200),
        "\" appears twice with different types"));
  }
  return absl::OkStatus();
}

bool ScaleTimestamp(int64_t value, Precision precision, int64_t* ns) {
  int64_t factor = 1;
  switch (precision) {
    case Precision::kNanoseconds: factor = 1; break;
    case Precision::kMicroseconds: factor = 1000; break;
    case Precision::kMilliseconds: factor = 1000000; break;
    case Precision::kSeconds: factor = 1000000000; break;
  }
  if (__builtin_mul_overflow(value, factor, ns)) return false;
  return *ns >= kMinTimestampNs && *ns <= kMaxTimestampNs;
}

// Views of an entry into its own storage (an unescaped name or string).
void Repoint(ParsedTag* tag, std::vector<uint8_t>::const_iterator owned) {
  if (*owned & 1) tag->key = tag->key_storage;
  if (*owned & 2) tag->value = tag->value_storage;
}
uint8_t Owned(const ParsedTag& tag) {
  return (tag.key.data() == tag.key_storage.data() ? 1 : 0) |
         (tag.value.data() == tag.value_storage.data() ? 2 : 0);
}
void Repoint(ParsedField* field, std::vector<uint8_t>::const_iterator owned) {
  if (*owned & 1) field->key = field->key_storage;
  if (*owned & 2) field->string_value = field->string_storage;
}
uint8_t Owned(const ParsedField& field) {
  return (field.key.data() == field.key_storage.data() ? 1 : 0) |
         (field.type == FieldType::kString &&
                  field.string_value.data() == field.string_storage.data()
              ? 2
              : 0);
}

// Appends an entry after the `used` ones. Growing the vector moves them,
// and a view into an entry's own string (held in place when short) would
// dangle: such views are pointed at the moved strings. Only while the
// vectors grow to their working size.
template <typename Entry>
void AddEntry(std::vector<Entry>* entries, size_t used) {
  if (entries->size() < entries->capacity()) {
    entries->emplace_back();
    return;
  }
  std::vector<uint8_t> owned(used);
  for (size_t i = 0; i < used; ++i) owned[i] = Owned((*entries)[i]);
  entries->emplace_back();
  for (size_t i = 0; i < used; ++i) Repoint(&(*entries)[i], owned.begin() + i);
}

// An integer as std::to_chars writes it (no leading zero, no "-0"); the
// text is one std::from_chars took whole. False for an empty text.
inline bool IsCanonicalInteger(absl::string_view text) {
  const size_t sign = !text.empty() && text[0] == '-' ? 1 : 0;
  return text.size() > sign && (text[sign] != '0' || (sign == 0 && text.size() == 1));
}

// Bits 0 to n-1 (n <= 64).
inline uint64_t LowBits(size_t n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

// What a parse with LinesConverter's memo (KnownNames) learned.
struct ParseNotes {
  bool series_known = false;     // the line begins with memo->series
  // The measurement and tags as written, up to the space before the fields.
  absl::string_view series_text;
  uint64_t matched = 0;          // bit j: field j's key is memo->keys[j]
  bool fields_distinct = false;  // no field key appears twice
  // Every value is a float kept as written (float_text).
  bool floats_as_written = true;
  // The line's fields, from the first key to the end of the last value,
  // and its timestamp's digits (empty without one).
  absl::string_view fields_text;
  absl::string_view timestamp_text;
};

// ParseLine, and with kMemo LinesConverter's parse: the memo's series key
// and its field keys at their positions are compared, not scanned, and a
// line of only known keys within the memo's distinct ones skips the
// duplicate check.
template <bool kMemo>
__attribute__((always_inline)) inline absl::Status ParseLineImpl(
    absl::string_view line, ParsedPoint* point, const KnownNames* memo,
    ParseNotes* known) {
  *known = ParseNotes{};
  point->num_tags = 0;
  point->num_fields = 0;
  point->has_timestamp = false;
  size_t pos = 0;
  if constexpr (kMemo) {
    // The same bytes and a space scan to the same names, which stop there:
    // the point's measurement and tags are left as they were, unread.
    const size_t k = memo->series.size();
    if (k != 0 && k < line.size() && line[k] == ' ' &&
        SameBytes(line.data(), memo->series.data(), k)) {
      pos = k;
      known->series_known = true;
    }
  }
  if (!known->series_known) {
    pos = ScanName<false>(line, 0, &point->measurement_storage,
                          &point->measurement);
    if (point->measurement.empty()) return ErrorAt(0, "missing measurement");
    while (pos < line.size() && line[pos] == ',') {
      ++pos;
      if (point->num_tags == point->tags.size()) AddEntry(&point->tags, point->num_tags);
      ParsedTag& tag = point->tags[point->num_tags];
      size_t key_start = pos;
      pos = ScanName<true>(line, pos, &tag.key_storage, &tag.key);
      if (tag.key.empty()) return ErrorAt(key_start, "missing tag key");
      if (pos >= line.size() || line[pos] != '=') {
        return ErrorAt(pos, "missing '=' after tag key");
      }
      ++pos;
      size_t value_start = pos;
      pos = ScanName<true>(line, pos, &tag.value_storage, &tag.value);
      if (tag.value.empty()) return ErrorAt(value_start, "missing tag value");
      if (pos < line.size() && line[pos] == '=') {
        return ErrorAt(pos, "invalid tag format: unescaped '=' in a tag value");
      }
      ++point->num_tags;
    }
  }
  if (pos >= line.size() || line[pos] != ' ') {
    return ErrorAt(pos, "missing fields");
  }
  if constexpr (kMemo) known->series_text = line.substr(0, pos);
  // influxd 1.6 takes a run of spaces between the key and the fields.
  pos = SkipSpaces(line, pos);
  const size_t fields_begin = pos;
  while (true) {
    if (point->num_fields == point->fields.size()) {
      AddEntry(&point->fields, point->num_fields);
    }
    ParsedField& field = point->fields[point->num_fields];
    bool key_known = false;
    if constexpr (kMemo) {
      const size_t j = point->num_fields;
      if (j < 64 && ((memo->plain >> j) & 1) != 0) {
        const std::string& k = memo->keys[j];
        const size_t n = k.size();
        if (n < line.size() - pos && line[pos + n] == '=' &&
            SameBytes(line.data() + pos, k.data(), n)) {
          field.key = absl::string_view(line.data() + pos, n);
          pos += n;
          known->matched |= uint64_t{1} << j;
          key_known = true;
        }
      }
    }
    if (!key_known) {
      size_t key_start = pos;
      pos = ScanName<true>(line, pos, &field.key_storage, &field.key);
      if (field.key.empty()) return ErrorAt(key_start, "missing field key");
      if (pos >= line.size() || line[pos] != '=') {
        return ErrorAt(pos, "missing '=' after field key");
      }
    }
    ++pos;
    if (!FastFloat(line, &pos, &field)) {
      if (absl::Status s = ParseFieldValue(line, &pos, &field); !s.ok()) return s;
    }
    if constexpr (kMemo) {
      known->floats_as_written &=
          field.type == FieldType::kFloat && !field.float_text.empty();
    }
    ++point->num_fields;
    if (pos < line.size() && line[pos] == ',') {
      ++pos;
      continue;
    }
    break;
  }
  bool fields_repeat = false;
  if (kMemo && point->num_fields <= memo->distinct &&
      known->matched == LowBits(point->num_fields)) {
    // A known series has no tags parsed (num_tags 0): nothing to check.
    if (absl::Status s = CheckDuplicateTags(point); !s.ok()) return s;
  } else if (absl::Status s = CheckDuplicates(point, &fields_repeat); !s.ok()) {
    return s;
  }
  known->fields_distinct = !fields_repeat;
  if constexpr (kMemo) known->fields_text = line.substr(fields_begin, pos - fields_begin);
  if (pos == line.size()) return absl::OkStatus();
  if (line[pos] != ' ') return ErrorAt(pos, "unexpected character after fields");
  // As influxd 1.6: spaces and tabs before the timestamp, spaces after it,
  // and only blanks after the fields mean no timestamp.
  pos = SkipBlanks(line, pos);
  if (pos == line.size()) return absl::OkStatus();
  if (PlainTimestamp(line.data() + pos, line.data() + line.size(), &point->timestamp)) {
    point->has_timestamp = true;
    if constexpr (kMemo) known->timestamp_text = line.substr(pos);
    return absl::OkStatus();
  }
  size_t end = line.find(' ', pos);
  if (end == absl::string_view::npos) end = line.size();
  absl::string_view ts = line.substr(pos, end - pos);
  auto r = std::from_chars(ts.data(), ts.data() + ts.size(), point->timestamp);
  if (r.ptr != ts.data() + ts.size() || r.ec != std::errc() ||
      SkipSpaces(line, end) != line.size()) {
    return ErrorAt(pos, absl::StrCat("invalid timestamp \"",
                                     line.substr(pos, 64), "\""));
  }
  point->has_timestamp = true;
  if constexpr (kMemo) known->timestamp_text = ts;
  return absl::OkStatus();
}

absl::Status ParseLineWithMemo(absl::string_view line, ParsedPoint* point,
                               const KnownNames& memo, ParseNotes* known) {
  return ParseLineImpl<true>(line, point, &memo, known);
}

absl::Status EncodeParsedPointMemo(const ParsedPoint& point, Precision precision,
                                   int64_t default_ns, LineWriter* out,
                                   KnownNames* memo, const ParseNotes& known,
                                   size_t* key_bytes = nullptr);

}  // namespace

absl::Status ParseLine(absl::string_view line, ParsedPoint* point) {
  ParseNotes unused;
  return ParseLineImpl<false>(line, point, nullptr, &unused);
}

double ParsedFloatValue(const ParsedField& field) {
  if (field.float_text.empty()) return field.other_float_value;
  double value = 0;
  std::from_chars(field.float_text.data(), field.float_text.data() + field.float_text.size(),
                  value);
  return value;
}

absl::Status EncodeParsedPoint(const ParsedPoint& point, Precision precision,
                               int64_t default_ns, std::string* out) {
  LineWriter writer(out);
  return EncodeParsedPointMemo(point, precision, default_ns, &writer, nullptr, ParseNotes{});
}

namespace {

absl::Status EncodeParsedPointMemo(const ParsedPoint& point, Precision precision,
                                   int64_t default_ns, LineWriter* out,
                                   KnownNames* memo, const ParseNotes& known,
                                   size_t* key_bytes) {
  const size_t start = out->size();
  auto fail = [&](absl::string_view what, const absl::Status& cause) {
    out->Truncate(start);
    return absl::InvalidArgumentError(
        absl::StrCat(what, what.empty() ? "" : ": ", cause.message()));
  };
  int64_t ns = default_ns;
  if (point.has_timestamp && !ScaleTimestamp(point.timestamp, precision, &ns)) {
    return fail("", absl::InvalidArgumentError(absl::StrCat(
                        "timestamp ", point.timestamp,
                        " is outside InfluxDB's range")));
  }
  if (known.series_known) {
    // Checked and written as it stands when the memo took it.
    out->Put(known.series_text);
  } else {
    if (point.measurement == "time") {
      return fail("", absl::InvalidArgumentError("measurement \"time\" is reserved"));
    }
    if (absl::Status s =
            WriteEscapedName(NameKind::kMeasurement, point.measurement, out);
        !s.ok()) {
      return fail("", s);
    }
    for (size_t i = 0; i < point.num_tags; ++i) {
      const ParsedTag& tag = point.tags[i];
      absl::Status s = CheckKey(NameKind::kTagKey, tag.key);
      if (s.ok()) {
        out->Put(',');
        s = WriteEscapedName(NameKind::kTagKey, tag.key, out);
      }
      if (s.ok()) {
        out->Put('=');
        s = WriteEscapedName(NameKind::kTagValue, tag.value, out);
      }
      if (!s.ok()) return fail(absl::StrCat("tag \"", tag.key.substr(0, 200), "\""), s);
    }
    if (absl::Status s = CheckSeriesKeySize(out->size() - start); !s.ok()) {
      return fail("", s);
    }
    // Written as it stands: lines that begin with it may copy it.
    if (memo != nullptr && out->WrittenSince(start) == known.series_text) {
      memo->series.assign(known.series_text.data(), known.series_text.size());
    }
  }
  if (key_bytes != nullptr) *key_bytes = out->size() - start;
  const size_t n = point.num_fields;
  if (n <= 64 && known.floats_as_written && known.matched == LowBits(n)) {
    // Known keys and floats as written: the line's fields are already what
    // the loop below would write, in one copy.
    out->Put(' ');
    out->Put(known.fields_text);
  } else {
    for (size_t i = 0; i < point.num_fields; ++i) {
      const ParsedField& field = point.fields[i];
      const uint64_t bit = i < 64 ? uint64_t{1} << i : 0;
      const char separator = i == 0 ? ' ' : ',';
      absl::Status s;
      if ((known.matched & bit) != 0) {
        char* p = out->Room(field.key.size() + 2);
        *p++ = separator;
        std::memcpy(p, field.key.data(), field.key.size());
        p += field.key.size();
        *p++ = '=';
        out->Advance(p);
      } else {
        s = CheckKey(NameKind::kFieldKey, field.key);
        if (s.ok()) {
          out->Put(separator);
          const size_t key_start = out->size();
          s = WriteEscapedName(NameKind::kFieldKey, field.key, out);
          if (s.ok() && memo != nullptr && bit != 0) {
            // Changed at i: what follows may repeat the new key.
            memo->distinct = std::min(memo->distinct, i);
            if (out->size() - key_start == field.key.size() &&
                field.key.find('\\') == absl::string_view::npos) {
              if (memo->keys.size() <= i) memo->keys.resize(i + 1);
              memo->keys[i].assign(field.key.data(), field.key.size());
              memo->plain |= bit;
            } else {
              memo->plain &= ~bit;
            }
          }
          out->Put('=');
        }
      }
      if (s.ok()) {
        switch (field.type) {
          case FieldType::kFloat:
            if (field.float_text.empty()) {
              WriteDouble(field.other_float_value, out);
            } else {
              out->Put(field.float_text);
            }
            break;
          case FieldType::kInteger: WriteInt(field.int_value, out); break;
          case FieldType::kUnsigned:
            if (field.uint_value >
                static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
              s = absl::InvalidArgumentError(absl::StrCat(
                  "unsigned value ", field.uint_value,
                  " does not fit InfluxDB 1.x's signed 64-bit integers"));
            } else {
              WriteInt(static_cast<int64_t>(field.uint_value), out);
            }
            break;
          case FieldType::kBoolean: WriteBool(field.bool_value, out); break;
          case FieldType::kString: s = WriteStringValue(field.string_value, out); break;
        }
      }
      if (!s.ok()) return fail(absl::StrCat("field \"", field.key.substr(0, 200), "\""), s);
    }
  }
  // The memo's first keys are now this line's: different from each other
  // when the line's are.
  if (memo != nullptr && n <= 64 && known.fields_distinct &&
      (memo->plain & LowBits(n)) == LowBits(n)) {
    memo->distinct = std::max(memo->distinct, n);
  }
  if (precision == Precision::kNanoseconds && IsCanonicalInteger(known.timestamp_text)) {
    // The digits to_chars would write for it.
    const absl::string_view ts = known.timestamp_text;
    char* p = out->Room(ts.size() + 2);
    *p++ = ' ';
    std::memcpy(p, ts.data(), ts.size());
    p += ts.size();
    *p++ = '\n';
    out->Advance(p);
  } else {
    WriteTimestampAndNewline(ns, out);
  }
  return absl::OkStatus();
}

// Calls `line(line_number, text)` for every line that is not blank or a
// comment; stops at the first error.
template <typename Fn>
absl::Status ForEachLine(absl::string_view text, Fn line_fn) {
  size_t line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == absl::string_view::npos) end = text.size();
    absl::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // influxd skips leading blanks too.
    while (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      line.remove_prefix(1);
    }
    if (line.empty() || line[0] == '#') continue;
    if (absl::Status s = line_fn(line_number, line); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status LineError(size_t line_number, const absl::Status& s) {
  return absl::InvalidArgumentError(
      absl::StrCat("line ", line_number, ", ", s.message()));
}

}  // namespace

absl::Status LinesConverter::Convert(absl::string_view text, Precision precision,
                                     int64_t now_ns, std::string* out,
                                     EncodeResult* result) {
  // One writer for all lines: the string grows a step at a time.
  LineWriter writer(out);
  const size_t start = writer.size();
  uint32_t points = 0;
  absl::Status s = ForEachLine(text, [&](size_t n, absl::string_view line) {
    ParseNotes known;
    absl::Status s = ParseLineWithMemo(line, &point_, known_names_, &known);
    if (s.ok()) {
      s = EncodeParsedPointMemo(point_, precision, now_ns, &writer, &known_names_, known);
    }
    if (!s.ok()) return LineError(n, s);
    ++points;
    return absl::OkStatus();
  });
  if (!s.ok()) {
    writer.Truncate(start);
    return s;
  }
  writer.Close();
  result->points += points;
  return absl::OkStatus();
}

absl::Status LinesConverter::Convert(absl::string_view text, Precision precision,
                                     int64_t now_ns, LineChunks* out,
                                     EncodeResult* result) {
  const LineChunks::Mark start = out->mark();
  uint32_t points = 0;
  absl::Status s = ForEachLine(text, [&](size_t n, absl::string_view line) {
    ParseNotes known;
    absl::Status s = ParseLineWithMemo(line, &point_, known_names_, &known);
    size_t key_bytes = 0;
    if (s.ok()) {
      LineWriter writer(out->tail());
      s = EncodeParsedPointMemo(point_, precision, now_ns, &writer, &known_names_, known,
                                &key_bytes);
    }
    if (!s.ok()) return LineError(n, s);
    out->EndLine(key_bytes);
    if (out->over_limit()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", n, ": the request's line protocol passes ",
          RequestLimitText(out->limit()), "; send it in smaller requests"));
    }
    ++points;
    return absl::OkStatus();
  });
  if (!s.ok()) {
    out->Rollback(start);
    return s;
  }
  result->points += points;
  return absl::OkStatus();
}

}  // namespace ocs_influx::core
