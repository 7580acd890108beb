#include "service/core/json.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/utf8/utf8.h"

namespace ocs_influx::core {
namespace {

class Reader {
 public:
  explicit Reader(absl::string_view text) : text_(text) {}

  absl::Status ReadDocument(DynamicValue* out) {
    if (absl::Status s = ReadValue(out, 0); !s.ok()) return s;
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected data after the value");
    return absl::OkStatus();
  }

 private:
  absl::Status Error(absl::string_view why) const {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON, offset ", pos_, ": ", why,
                     pos_ >= text_.size() ? " (unexpected end)" : ""));
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  absl::Status ReadValue(DynamicValue* out, int depth) {
    if (depth > kMaxValueDepth) return Error("nested too deeply");
    SkipSpace();
    if (pos_ >= text_.size()) return Error("unexpected end");
    char c = text_[pos_];
    if (c == '{') return ReadObject(out, depth);
    if (c == '[') return ReadArray(out, depth);
    if (c == '"') {
      out->type = DynamicValue::Type::kString;
      return ReadString(&out->string_value);
    }
    if (Consume("null")) {
      out->type = DynamicValue::Type::kNull;
      return absl::OkStatus();
    }
    if (Consume("true")) {
      out->type = DynamicValue::Type::kBool;
      out->bool_value = true;
      return absl::OkStatus();
    }
    if (Consume("false")) {
      out->type = DynamicValue::Type::kBool;
      out->bool_value = false;
      return absl::OkStatus();
    }
    if (Consume("NaN")) {
      out->type = DynamicValue::Type::kDouble;
      out->double_value = std::numeric_limits<double>::quiet_NaN();
      return absl::OkStatus();
    }
    if (Consume("Infinity")) {
      out->type = DynamicValue::Type::kDouble;
      out->double_value = std::numeric_limits<double>::infinity();
      return absl::OkStatus();
    }
    if (Consume("-Infinity")) {
      out->type = DynamicValue::Type::kDouble;
      out->double_value = -std::numeric_limits<double>::infinity();
      return absl::OkStatus();
    }
    if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber(out);
    return Error(absl::StrCat("unexpected character '", std::string(1, c), "'"));
  }

  absl::Status ReadNumber(DynamicValue* out) {
    size_t start = pos_;
    bool is_float = false;
    if (text_[pos_] == '-') ++pos_;
    size_t digits_start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    if (pos_ == digits_start) return Error("invalid number");
    if (pos_ < text_.size() && text_[pos_] == '.') {
      is_float = true;
      ++pos_;
      size_t frac = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      if (pos_ == frac) return Error("invalid number");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      is_float = true;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      size_t exp = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      if (pos_ == exp) return Error("invalid number");
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (is_float) {
      out->type = DynamicValue::Type::kDouble;
      auto r = std::from_chars(first, last, out->double_value);
      if (r.ec == std::errc::result_out_of_range) {
        // Python reads 1e999 as inf.
        out->double_value = (*first == '-')
                                ? -std::numeric_limits<double>::infinity()
                                : std::numeric_limits<double>::infinity();
      } else if (r.ec != std::errc()) {
        return Error("invalid number");
      }
      return absl::OkStatus();
    }
    auto r = std::from_chars(first, last, out->int_value);
    if (r.ec == std::errc()) {
      out->type = DynamicValue::Type::kInt;
      return absl::OkStatus();
    }
    if (*first != '-') {
      auto ru = std::from_chars(first, last, out->uint_value);
      if (ru.ec == std::errc()) {
        out->type = DynamicValue::Type::kUint;
        return absl::OkStatus();
      }
    }
    // Python ints have no bound; InfluxDB's do.
    out->type = DynamicValue::Type::kBigInt;
    return absl::OkStatus();
  }

  absl::Status ReadHex4(uint32_t* value) {
    if (pos_ + 4 > text_.size()) return Error("truncated \\u escape");
    *value = 0;
    for (int i = 0; i < 4; ++i) {
      char h = text_[pos_++];
      uint32_t d;
      if (h >= '0' && h <= '9') d = h - '0';
      else if (h >= 'a' && h <= 'f') d = h - 'a' + 10;
      else if (h >= 'A' && h <= 'F') d = h - 'A' + 10;
      else return Error("invalid \\u escape");
      *value = *value * 16 + d;
    }
    return absl::OkStatus();
  }

  absl::Status ReadString(std::string* out) {
    ++pos_;  // opening quote
    out->clear();
    while (true) {
      if (pos_ >= text_.size()) return Error("unterminated string");
      char c = text_[pos_++];
      if (c == '"') return absl::OkStatus();
      if (static_cast<unsigned char>(c) < 0x20) {
        return Error("control character in string");
      }
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return Error("unterminated string");
      char e = text_[pos_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          if (absl::Status s = ReadHex4(&cp); !s.ok()) return s;
          if (cp >= 0xD800 && cp <= 0xDBFF && Consume("\\u")) {
            uint32_t low;
            if (absl::Status s = ReadHex4(&low); !s.ok()) return s;
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              return Error("invalid surrogate pair");
            }
          } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            return Error("lone surrogate");
          }
          utf8::AppendCodePoint(cp, out);
          break;
        }
        default: return Error("invalid escape");
      }
    }
  }

  absl::Status ReadArray(DynamicValue* out, int depth) {
    out->type = DynamicValue::Type::kArray;
    ++pos_;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      out->items.emplace_back();
      if (absl::Status s = ReadValue(&out->items.back(), depth + 1); !s.ok()) {
        return s;
      }
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error("expected ',' or ']'");
    }
  }

  absl::Status ReadObject(DynamicValue* out, int depth) {
    out->type = DynamicValue::Type::kObject;
    ++pos_;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') {
        return Error("expected a string key");
      }
      out->members.emplace_back();
      auto& member = out->members.back();
      if (absl::Status s = ReadString(&member.first); !s.ok()) return s;
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Error("expected ':'");
      ++pos_;
      if (absl::Status s = ReadValue(&member.second, depth + 1); !s.ok()) {
        return s;
      }
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error("expected ',' or '}'");
    }
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<DynamicValue> ParseJson(absl::string_view text) {
  DynamicValue value;
  Reader reader(text);
  if (absl::Status s = reader.ReadDocument(&value); !s.ok()) return s;
  return value;
}

}  // namespace ocs_influx::core
