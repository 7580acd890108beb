#include "service/influx/answer_text.h"

#include <cstdint>
#include <cstdio>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "common/utf8/utf8.h"

namespace ocs_influx::influx {
namespace {

constexpr int kMaxJsonDepth = 32;

// Debian's Abseil is built without std::string_view aliasing, so its
// string_view is a distinct type.
absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Just enough JSON to find {"error": "..."} in an answer we do not trust:
// bounded depth, bounded output, every read checked against the end.
class ErrorFinder {
 public:
  ErrorFinder(std::string_view s, size_t max_len) : s_(s), max_len_(max_len) {}

  std::string Find() {
    Value(0);
    return found_ ? found_text_ : std::string();
  }

 private:
  void SkipWs() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
  }

  bool Hex4(uint32_t* v) {
    if (s_.size() - i_ < 4) return false;
    *v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      *v <<= 4;
      if (c >= '0' && c <= '9') *v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') *v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') *v |= static_cast<uint32_t>(c - 'A' + 10);
      else return false;
    }
    return true;
  }

  // Decodes a JSON string at i_ (which is at the opening quote), keeping at
  // most `cap` bytes of it in *out (if out is not null).
  bool String(std::string* out, size_t cap) {
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    ++i_;
    auto put = [&](std::string_view piece) {
      if (out != nullptr && out->size() < cap) out->append(piece);
    };
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return true;
      if (c != '\\') {
        put(std::string_view(&c, 1));
        continue;
      }
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      switch (e) {
        case '"': put("\""); break;
        case '\\': put("\\"); break;
        case '/': put("/"); break;
        case 'b': case 'f': case 'n': case 'r': case 't': put(" "); break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && s_.size() - i_ >= 6 && s_[i_] == '\\' &&
              s_[i_ + 1] == 'u') {
            const size_t save = i_;
            i_ += 2;
            uint32_t lo = 0;
            if (Hex4(&lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else {
              i_ = save;
              cp = 0xFFFD;
            }
          } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD;
          }
          std::string enc;
          utf8::AppendCodePoint(cp, &enc);
          put(enc);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  bool Scalar() {
    const size_t start = i_;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '+' ||
          c == '.') {
        ++i_;
      } else {
        break;
      }
    }
    return i_ > start;
  }

  // Returns false on malformed input or once the error text is found (both
  // end the walk).
  bool Value(int depth) {
    if (depth > kMaxJsonDepth) return false;
    SkipWs();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '"') return String(nullptr, 0);
    if (c == '{') {
      ++i_;
      SkipWs();
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return true;
      }
      for (;;) {
        SkipWs();
        std::string key;
        if (!String(&key, 16)) return false;
        SkipWs();
        if (i_ >= s_.size() || s_[i_] != ':') return false;
        ++i_;
        SkipWs();
        if (key == "error" && i_ < s_.size() && s_[i_] == '"') {
          found_ = true;
          // Keep a little more than needed so the cut below can add "...".
          return String(&found_text_, max_len_ + 8) && false;
        }
        if (!Value(depth + 1)) return false;
        SkipWs();
        if (i_ >= s_.size()) return false;
        if (s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (s_[i_] == '}') {
          ++i_;
          return true;
        }
        return false;
      }
    }
    if (c == '[') {
      ++i_;
      SkipWs();
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return true;
      }
      for (;;) {
        if (!Value(depth + 1)) return false;
        SkipWs();
        if (i_ >= s_.size()) return false;
        if (s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (s_[i_] == ']') {
          ++i_;
          return true;
        }
        return false;
      }
    }
    return Scalar();
  }

  std::string_view s_;
  size_t max_len_;
  size_t i_ = 0;
  bool found_ = false;
  std::string found_text_;
};

}  // namespace

std::string ExtractJsonError(std::string_view json, size_t max_len) {
  std::string raw = ErrorFinder(json, max_len).Find();
  if (raw.empty()) return raw;
  return utf8::Sanitize(raw, max_len);
}

std::string QuoteInfluxQLIdentifier(std::string_view name) {
  // InfluxQL's scanner knows \\ \" \' and \n inside quotes; a raw newline
  // would end the statement.
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string AnswerErrorText(std::string_view body, std::string_view influx_error_header,
                            bool v2_or_v3) {
  std::string e = ExtractJsonError(body, kMaxErrorTextBytes);
  if (e.empty() && v2_or_v3) {
    // InfluxDB 2: {"code": "...", "message": "..."}.
    absl::StatusOr<core::DynamicValue> v = core::ParseJson(AV(body));
    if (v.ok()) e = utf8::Sanitize(StringMember(*v, "message"), kMaxErrorTextBytes);
  }
  if (e.empty()) e = utf8::Sanitize(AV(influx_error_header), kMaxErrorTextBytes);
  if (e.empty()) {
    const absl::string_view trimmed = absl::StripAsciiWhitespace(AV(body));
    e = utf8::Sanitize(trimmed, kMaxErrorTextBytes);
  }
  return e;
}

// JSON string literal for a bucket or org name we send.
std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof(esc), "\\u%04x", u);
      out += esc;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

// The members of `array_key`'s array at the top level of `json`, or null.
const std::vector<core::DynamicValue>* TopLevelArray(const core::DynamicValue& json,
                                                  std::string_view array_key) {
  if (json.type != core::DynamicValue::Type::kObject) return nullptr;
  const core::DynamicValue* a = json.Find(AV(array_key));
  if (a == nullptr || a->type != core::DynamicValue::Type::kArray) return nullptr;
  return &a->items;
}

std::string StringMember(const core::DynamicValue& v, std::string_view key) {
  if (v.type != core::DynamicValue::Type::kObject) return {};
  const core::DynamicValue* m = v.Find(AV(key));
  if (m == nullptr || m->type != core::DynamicValue::Type::kString) return {};
  return m->string_value;
}

}  // namespace ocs_influx::influx
