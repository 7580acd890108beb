#include "service/influx/client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "service/core/json.h"
#include "service/log/log.h"

namespace ocs_influx::influx {
namespace {

// A /write answer is a few hundred bytes of JSON; anything past this is
// dropped (but still read, so the keep-alive connection stays usable).
constexpr size_t kMaxWriteAnswerBytes = 64 * 1024;
constexpr size_t kMaxHeaderValueBytes = 1024;
constexpr size_t kMaxErrorTextBytes = 512;
constexpr int kMaxJsonDepth = 32;
// A partial-write answer names at most this many lines (InfluxDB 3 lists
// every rejected line of a batch; a batch is at most --batch-size lines).
constexpr size_t kMaxRejectedLines = 1000000;
constexpr char kTokenRefused[] = "InfluxDB refused the token";

// Debian's Abseil is built without std::string_view aliasing, so its
// string_view is a distinct type.
absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

struct CurlEasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlEasyPtr = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// curl_global_init is not thread-safe in every libcurl build, and must run
// before any other thread uses libcurl.
void CurlGlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Makes text safe for a log line and for a proto3 string field (which must
// be valid UTF-8): control characters become spaces, invalid UTF-8 becomes
// '?'; then cuts at `max_len` bytes on a character boundary.
std::string SanitizeText(std::string_view in, size_t max_len) {
  std::string out;
  out.reserve(std::min(in.size(), max_len + 3));
  bool truncated = false;
  size_t i = 0;
  while (i < in.size()) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    size_t len = 1;
    bool valid = true;
    if (c < 0x80) {
      len = 1;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      len = 4;
    } else {
      valid = false;
    }
    if (valid) {
      if (i + len > in.size()) {
        valid = false;
      } else {
        for (size_t k = 1; k < len; ++k) {
          if ((static_cast<unsigned char>(in[i + k]) & 0xC0) != 0x80) valid = false;
        }
        if (valid && len == 3) {
          const unsigned char c1 = static_cast<unsigned char>(in[i + 1]);
          if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) valid = false;
        }
        if (valid && len == 4) {
          const unsigned char c1 = static_cast<unsigned char>(in[i + 1]);
          if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90)) valid = false;
        }
      }
    }
    if (!valid) len = 1;
    if (out.size() + (valid ? len : 1) > max_len) {
      truncated = true;
      break;
    }
    if (!valid) {
      out += '?';
    } else if (len == 1 && (c < 0x20 || c == 0x7F)) {
      out += ' ';
    } else {
      out.append(in.data() + i, len);
    }
    i += len;
  }
  if (truncated) out += "...";
  return out;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

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
          AppendUtf8(cp, &enc);
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

struct Sink {
  std::string* body = nullptr;
  size_t cap = 0;
  bool abort_on_overflow = false;
  bool overflowed = false;
};

size_t OnBody(char* data, size_t size, size_t n, void* userdata) {
  auto* sink = static_cast<Sink*>(userdata);
  const size_t bytes = size * n;
  const size_t room = sink->cap > sink->body->size() ? sink->cap - sink->body->size() : 0;
  if (bytes > room) {
    sink->overflowed = true;
    if (sink->abort_on_overflow) return 0;  // CURLE_WRITE_ERROR ends the transfer
    sink->body->append(data, room);
    return bytes;
  }
  sink->body->append(data, bytes);
  return bytes;
}

struct AnswerHeaders {
  // influxd stamps every answer with X-Influxdb-Version; an answer without
  // it came from something else (a proxy, a TLS port spoken to in clear).
  bool from_influxdb = false;
  // X-Influxdb-Error: a fallback when the JSON body is missing or unreadable.
  std::string influx_error;
  std::string retry_after;
};

int OnProgress(void* userdata, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* should_abort = static_cast<const std::function<bool()>*>(userdata);
  return *should_abort && (*should_abort)() ? 1 : 0;
}

size_t OnHeader(char* data, size_t size, size_t n, void* userdata) {
  auto* out = static_cast<AnswerHeaders*>(userdata);
  const size_t bytes = size * n;
  const absl::string_view line(data, bytes);
  constexpr absl::string_view kError = "x-influxdb-error:";
  constexpr absl::string_view kVersion = "x-influxdb-version:";
  constexpr absl::string_view kRetryAfter = "retry-after:";
  if (absl::StartsWithIgnoreCase(line, kVersion)) {
    out->from_influxdb = true;
  } else if (absl::StartsWithIgnoreCase(line, kRetryAfter)) {
    absl::string_view v = absl::StripAsciiWhitespace(line.substr(kRetryAfter.size()));
    v = v.substr(0, 64);
    out->retry_after.assign(v.data(), v.size());
  } else if (line.size() > kError.size() && absl::StartsWithIgnoreCase(line, kError)) {
    absl::string_view v = absl::StripAsciiWhitespace(line.substr(kError.size()));
    v = v.substr(0, kMaxHeaderValueBytes);
    out->influx_error.assign(v.data(), v.size());
  }
  return bytes;
}

bool ValidHost(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::string_view h = host;
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') return false;
    h = h.substr(1, h.size() - 2);
  }
  for (char c : h) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
          c == '_' || c == ':')) {
      return false;
    }
  }
  return true;
}

absl::Status HttpError(long code, std::string_view what, std::string_view message) {
  std::string text = absl::StrCat(AV(what), ": HTTP ", code,
                                  message.empty() ? "" : ": ", AV(message));
  if (code == 401) return absl::UnauthenticatedError(text);
  if (code == 403) return absl::PermissionDeniedError(text);
  if (code == 404) return absl::NotFoundError(text);
  if (code == 413) return absl::ResourceExhaustedError(text);
  if (code >= 500 || code == 408 || code == 429) return absl::UnavailableError(text);
  if (code >= 400) return absl::InvalidArgumentError(text);
  return absl::UnknownError(text);
}

std::atomic<bool> warned_no_verify{false};

// Reads a small secret or setting file; trailing CR/LF stripped (as the OCS
// agent's rstrip('\r\n')). `what` names it in errors; the contents never.
absl::StatusOr<std::string> ReadSmallFile(const std::string& what, const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(
        absl::StrCat("cannot read ", what, " '", path, "': ", std::strerror(errno)));
  }
  // A credential is short; a huge file is a mistake, not a password.
  constexpr size_t kMaxCredentialBytes = 64 * 1024;
  std::string content;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return absl::DataLossError(
          absl::StrCat("cannot read ", what, " '", path, "': ", std::strerror(err)));
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
    if (content.size() > kMaxCredentialBytes) {
      ::close(fd);
      return absl::InvalidArgumentError(absl::StrCat(what, " '", path, "' is larger than ",
                                                     kMaxCredentialBytes, " bytes"));
    }
  }
  ::close(fd);
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
    content.pop_back();
  }
  return content;
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
const std::vector<core::JsonValue>* TopLevelArray(const core::JsonValue& json,
                                                  absl::string_view array_key) {
  if (json.type != core::JsonValue::Type::kObject) return nullptr;
  const core::JsonValue* a = json.Find(array_key);
  if (a == nullptr || a->type != core::JsonValue::Type::kArray) return nullptr;
  return &a->items;
}

std::string StringMember(const core::JsonValue& v, absl::string_view key) {
  if (v.type != core::JsonValue::Type::kObject) return {};
  const core::JsonValue* m = v.Find(key);
  if (m == nullptr || m->type != core::JsonValue::Type::kString) return {};
  return m->string_value;
}

bool IsOrgId(std::string_view org) {
  if (org.size() != 16) return false;
  for (char c : org) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool ValidV3DatabaseName(std::string_view db) {
  if (db.empty() || !absl::ascii_isalnum(static_cast<unsigned char>(db.front()))) {
    return false;
  }
  for (char c : db) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view InfluxApiName(InfluxApi api) {
  switch (api) {
    case InfluxApi::kV1: return "v1";
    case InfluxApi::kV2: return "v2";
    case InfluxApi::kV3: return "v3";
  }
  return "?";
}

absl::StatusOr<std::optional<std::string>> ReadEnvOrFile(
    const char* name, std::function<const char*(const char*)> getenv_fn) {
  if (const char* v = getenv_fn(name); v != nullptr) return std::optional<std::string>(v);
  const std::string file_var = absl::StrCat(name, "_FILE");
  const char* path = getenv_fn(file_var.c_str());
  if (path == nullptr) return std::optional<std::string>();
  absl::StatusOr<std::string> content = ReadSmallFile(file_var + " file", path);
  if (!content.ok()) return content.status();
  return std::optional<std::string>(*std::move(content));
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  return ReadSmallFile("file", path.c_str());
}

absl::Duration ParseRetryAfter(std::string_view value, absl::Time now) {
  const absl::string_view v = absl::StripAsciiWhitespace(AV(value));
  if (v.empty()) return absl::ZeroDuration();
  absl::Duration d = absl::ZeroDuration();
  int64_t seconds = 0;
  if (absl::SimpleAtoi(v, &seconds)) {
    if (seconds <= 0) return absl::ZeroDuration();
    d = seconds > absl::ToInt64Seconds(kMaxRetryAfter) ? kMaxRetryAfter
                                                       : absl::Seconds(seconds);
  } else {
    absl::Time at;
    std::string err;
    if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(v), absl::UTCTimeZone(),
                         &at, &err)) {
      return absl::ZeroDuration();
    }
    d = at - now;
  }
  if (d < absl::ZeroDuration()) return absl::ZeroDuration();
  return std::min(d, kMaxRetryAfter);
}

std::vector<WriteResult::RejectedLine> ParsePartialWrite(std::string_view json) {
  std::vector<WriteResult::RejectedLine> out;
  absl::StatusOr<core::JsonValue> v = core::ParseJson(AV(json));
  if (!v.ok()) return out;
  const std::vector<core::JsonValue>* data = TopLevelArray(*v, "data");
  if (data == nullptr) return out;
  for (const core::JsonValue& item : *data) {
    if (item.type != core::JsonValue::Type::kObject || out.size() >= kMaxRejectedLines) {
      return {};
    }
    const core::JsonValue* n = item.Find("line_number");
    if (n == nullptr || n->type != core::JsonValue::Type::kInt || n->int_value < 1) {
      // A list we cannot read line by line is no list: the caller then
      // bisects, which finds the refused lines anyway.
      return {};
    }
    WriteResult::RejectedLine r;
    r.line_number = static_cast<size_t>(n->int_value);
    r.error = SanitizeText(StringMember(item, "error_message"), kMaxErrorTextBytes);
    out.push_back(std::move(r));
  }
  return out;
}

std::string_view WriteOutcomeName(WriteOutcome outcome) {
  switch (outcome) {
    case WriteOutcome::kOk: return "ok";
    case WriteOutcome::kRetryable: return "retryable";
    case WriteOutcome::kTooLarge: return "too_large";
    case WriteOutcome::kDatabaseNotFound: return "database_not_found";
    case WriteOutcome::kRejected: return "rejected";
    case WriteOutcome::kUnauthorized: return "unauthorized";
    case WriteOutcome::kNotInfluxDB: return "not_influxdb";
    case WriteOutcome::kPartial: return "partial";
  }
  return "unknown";
}

std::string ExtractJsonError(std::string_view json, size_t max_len) {
  std::string raw = ErrorFinder(json, max_len).Find();
  if (raw.empty()) return raw;
  return SanitizeText(raw, max_len);
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

struct InfluxClient::Impl {
  InfluxOptions options;
  CurlEasyPtr curl;
  CurlSlistPtr write_headers;
  // v2, v3: the Authorization header on every request; with a JSON body.
  CurlSlistPtr auth_headers;
  CurlSlistPtr json_headers;
  std::string base_url;
  std::string write_url;
  std::string ping_url;
  // v3 answers other requests than /ping without X-Influxdb-Version: its
  // 204 to a write counts once /ping at this URL proved InfluxDB (and until
  // the connection fails or something else answers).
  bool proven = false;
  std::string query_url;  // without parameters
  std::string escaped_db;
  char curl_error[CURL_ERROR_SIZE] = {};
  std::function<bool()> should_abort;
  std::string body;
  AnswerHeaders headers;
  Sink sink;

  // The gzip stream and its output buffer live as long as the client: a
  // writer sends similar batches again and again, so after the first few the
  // buffer has its final capacity and a write allocates nothing for gzip.
  z_stream zs{};
  bool zs_ready = false;
  std::vector<unsigned char> gz;

  ~Impl() {
    if (zs_ready) deflateEnd(&zs);
  }

  std::string Escape(std::string_view s) {
    char* e = curl_easy_escape(curl.get(), s.data(), static_cast<int>(s.size()));
    std::string out = e != nullptr ? e : "";
    curl_free(e);
    return out;
  }

  // Belt and braces: nothing we return should ever carry the password, even
  // if a server or proxy echoes it back.
  std::string Scrub(std::string text) const {
    if (!options.password.empty() && text.find(options.password) != std::string::npos) {
      absl::StrReplaceAll({{options.password, "***"}}, &text);
    }
    if (!options.token.empty() && text.find(options.token) != std::string::npos) {
      absl::StrReplaceAll({{options.token, "***"}}, &text);
    }
    return text;
  }

  bool v1() const { return options.api == InfluxApi::kV1; }

  // 401 / 403 to a token: never about the data.
  std::string TokenRefused(long code) const {
    std::string e = AnswerError();
    return absl::StrCat(kTokenRefused, " (HTTP ", code, e.empty() ? "" : ": ", e, ") at ",
                        base_url);
  }

  // Why an answer does not count: the URL (never credentials) says where
  // the stranger is.
  std::string NotInfluxDB(long code) const {
    return absl::StrCat("answer from something that is not InfluxDB at ", base_url,
                        " (HTTP ", code, ", no X-Influxdb-Version header)");
  }

  std::string TransportError(CURLcode rc) const {
    if (rc == CURLE_ABORTED_BY_CALLBACK) return "request abandoned: the publisher is stopping";
    const char* detail = curl_error[0] != '\0' ? curl_error : curl_easy_strerror(rc);
    return Scrub(SanitizeText(detail, kMaxErrorTextBytes));
  }

  // The error text of an HTTP answer: InfluxDB's JSON "error", else its
  // X-Influxdb-Error header, else the start of the body.
  std::string AnswerError() const {
    std::string e = ExtractJsonError(body, kMaxErrorTextBytes);
    if (e.empty() && !v1()) {
      // InfluxDB 2: {"code": "...", "message": "..."}.
      absl::StatusOr<core::JsonValue> v = core::ParseJson(AV(body));
      if (v.ok()) e = SanitizeText(StringMember(*v, "message"), kMaxErrorTextBytes);
    }
    if (e.empty()) e = SanitizeText(headers.influx_error, kMaxErrorTextBytes);
    if (e.empty()) {
      const absl::string_view trimmed = absl::StripAsciiWhitespace(body);
      e = SanitizeText(std::string_view(trimmed.data(), trimmed.size()), kMaxErrorTextBytes);
    }
    return Scrub(std::move(e));
  }

  // One request on the shared handle; the caller has set method, URL and
  // body. Returns the curl code; *http_status is 0 if no answer came.
  CURLcode Perform(size_t body_cap, bool abort_on_overflow, long* http_status) {
    body.clear();
    headers.from_influxdb = false;
    headers.influx_error.clear();
    curl_error[0] = '\0';
    sink.body = &body;
    sink.cap = body_cap;
    sink.abort_on_overflow = abort_on_overflow;
    sink.overflowed = false;
    CURLcode rc = curl_easy_perform(curl.get());
    *http_status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, http_status);
    return rc;
  }

  void SetGet(const std::string& url) {
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, auth_headers.get());
  }

  // A GET or POST of a v2 management endpoint; `what` names it in errors.
  // OK with the answer body on 2xx from InfluxDB; `ok_codes` adds codes
  // that also count (e.g. 422 "already exists").
  absl::StatusOr<long> Manage(const std::string& url, const std::string* json_body,
                              const std::string& what) {
    if (json_body != nullptr) {
      SetPost(url, json_body->data(), json_body->size(), json_headers.get());
    } else {
      SetGet(url);
    }
    long code = 0;
    const CURLcode rc = Perform(kMaxWriteAnswerBytes, false, &code);
    if (rc != CURLE_OK && code == 0) {
      return absl::UnavailableError(absl::StrCat(what, ": ", TransportError(rc)));
    }
    if (code == 401 || code == 403) {
      return absl::UnauthenticatedError(absl::StrCat(what, ": ", TokenRefused(code)));
    }
    if (!headers.from_influxdb) return absl::UnavailableError(NotInfluxDB(code));
    return code;
  }

  // The OCS InfluxDBAgentv2's start, done right: the bucket looked up by
  // name in the org, created in it when missing (the org's ID looked up
  // by name first, unless the org is given as its ID).
  absl::Status EnsureBucket() {
    const std::string what = absl::StrCat("bucket ", options.database, " on ", base_url);
    absl::StatusOr<long> code = Manage(
        absl::StrCat(base_url, "/api/v2/buckets?name=", Escape(options.database),
                     IsOrgId(options.org) ? "&orgID=" : "&org=", Escape(options.org)),
        nullptr, absl::StrCat("looking up ", what));
    if (!code.ok()) return code.status();
    if (*code != 200 && *code != 404) {
      return HttpError(*code, absl::StrCat("looking up ", what), AnswerError());
    }
    if (*code == 200) {
      absl::StatusOr<core::JsonValue> v = core::ParseJson(AV(body));
      const std::vector<core::JsonValue>* buckets =
          v.ok() ? TopLevelArray(*v, "buckets") : nullptr;
      if (buckets == nullptr) {
        return absl::UnavailableError(
            absl::StrCat("looking up ", what, ": unreadable answer"));
      }
      for (const core::JsonValue& b : *buckets) {
        if (StringMember(b, "name") == options.database) return absl::OkStatus();
      }
    }
    std::string org_id = options.org;
    if (!IsOrgId(org_id)) {
      const std::string org_what = absl::StrCat("organization ", options.org, " on ", base_url);
      code = Manage(absl::StrCat(base_url, "/api/v2/orgs?org=", Escape(options.org)), nullptr,
                    absl::StrCat("looking up ", org_what));
      if (!code.ok()) return code.status();
      if (*code == 404) {
        return absl::NotFoundError(absl::StrCat(org_what, " not found: ", AnswerError()));
      }
      if (*code != 200) {
        return HttpError(*code, absl::StrCat("looking up ", org_what), AnswerError());
      }
      absl::StatusOr<core::JsonValue> v = core::ParseJson(AV(body));
      const std::vector<core::JsonValue>* orgs = v.ok() ? TopLevelArray(*v, "orgs") : nullptr;
      org_id.clear();
      if (orgs != nullptr) {
        for (const core::JsonValue& o : *orgs) {
          if (StringMember(o, "name") == options.org || orgs->size() == 1) {
            org_id = StringMember(o, "id");
            break;
          }
        }
      }
      if (org_id.empty()) return absl::NotFoundError(absl::StrCat(org_what, " not found"));
    }
    // Empty retention rules: kept forever (InfluxDB OSS), as the OCS agent
    // creates it; a site wanting expiry sets it on the bucket.
    const std::string request = absl::StrCat("{\"orgID\":", JsonQuote(org_id),
                                             ",\"name\":", JsonQuote(options.database),
                                             ",\"retentionRules\":[]}");
    code = Manage(absl::StrCat(base_url, "/api/v2/buckets"), &request,
                  absl::StrCat("creating ", what));
    if (!code.ok()) return code.status();
    // 422 "conflict": another publisher made it meanwhile.
    if (*code == 201 || *code == 200 ||
        (*code == 422 && (absl::StrContains(body, "conflict") ||
                          absl::StrContains(body, "already exists")))) {
      if (*code != 422) LOG_INFO("influx: created %s", what);
      return absl::OkStatus();
    }
    return HttpError(*code, absl::StrCat("creating ", what), AnswerError());
  }

  void SetPost(const std::string& url, const void* data, size_t size, curl_slist* headers) {
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
    // No copy: libcurl reads straight from the caller's buffer.
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, data);
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(size));
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  }

  // Gzips `in` into gz; returns the compressed size, or an error.
  absl::StatusOr<size_t> Gzip(std::string_view in) {
    if (!zs_ready) {
      // windowBits 15 + 16: a gzip wrapper, which is what InfluxDB expects
      // for Content-Encoding: gzip (raw zlib is not accepted).
      if (deflateInit2(&zs, options.gzip_level, Z_DEFLATED, 15 + 16, 8,
                       Z_DEFAULT_STRATEGY) != Z_OK) {
        return absl::InternalError("deflateInit2 failed");
      }
      zs_ready = true;
    } else if (deflateReset(&zs) != Z_OK) {
      return absl::InternalError("deflateReset failed");
    }
    if (in.size() > UINT_MAX / 2) {
      return absl::ResourceExhaustedError("batch too large to gzip in one call");
    }
    const size_t bound = deflateBound(&zs, static_cast<uLong>(in.size()));
    if (gz.size() < bound) gz.resize(bound);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = gz.data();
    zs.avail_out = static_cast<uInt>(std::min<size_t>(gz.size(), UINT_MAX));
    // With deflateBound of output room, one Z_FINISH call completes.
    const int rc = deflate(&zs, Z_FINISH);
    if (rc != Z_STREAM_END) {
      return absl::InternalError(absl::StrCat("deflate failed: ", rc));
    }
    return static_cast<size_t>(zs.total_out);
  }
};

InfluxClient::InfluxClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
InfluxClient::~InfluxClient() = default;

const InfluxOptions& InfluxClient::options() const { return impl_->options; }

std::string InfluxClient::BaseUrl() const { return impl_->base_url; }

namespace {

// The v2 / v3 base URL: http(s)://authority[/prefix], no credentials, no
// query; returned without a trailing "/".
absl::StatusOr<std::string> CheckBaseUrl(const std::string& url) {
  std::string_view u = url;
  std::string_view rest;
  if (absl::StartsWith(AV(u), "http://")) {
    rest = u.substr(7);
  } else if (absl::StartsWith(AV(u), "https://")) {
    rest = u.substr(8);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "InfluxDB URL '", SanitizeText(url, 200), "' must start with http:// or https://"));
  }
  const std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.empty() || authority.find('@') != std::string_view::npos ||
      rest.find_first_of("?# \t") != std::string_view::npos) {
    // Credentials in a URL end up in logs: tokens go in their own setting.
    return absl::InvalidArgumentError(absl::StrCat(
        "InfluxDB URL '", SanitizeText(url.find('@') == std::string::npos ? url : "(hidden)", 200),
        "' must be http(s)://HOST[:PORT][/PATH], without credentials or query"));
  }
  while (!u.empty() && u.back() == '/') u.remove_suffix(1);
  return std::string(u);
}

}  // namespace

absl::StatusOr<std::unique_ptr<InfluxClient>> InfluxClient::Create(
    const InfluxOptions& options) {
  const bool v1 = options.api == InfluxApi::kV1;
  std::string base_url;
  if (v1) {
    if (!ValidHost(options.host)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid InfluxDB host '",
                                                     SanitizeText(options.host, 64), "'"));
    }
    if (options.port < 1 || options.port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("invalid InfluxDB port ", options.port));
    }
  } else {
    absl::StatusOr<std::string> url = CheckBaseUrl(options.url);
    if (!url.ok()) return url.status();
    base_url = *std::move(url);
    if (options.token.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("InfluxDB ", AV(InfluxApiName(options.api)), " needs a token"));
    }
    if (options.token.find_first_of("\r\n") != std::string::npos) {
      return absl::InvalidArgumentError("the InfluxDB token holds a line break");
    }
    if (options.api == InfluxApi::kV2 && options.org.empty()) {
      return absl::InvalidArgumentError("InfluxDB v2 needs an organization");
    }
    if (options.api == InfluxApi::kV3 && !ValidV3DatabaseName(options.database)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "InfluxDB 3 database name '", SanitizeText(options.database, 64),
          "' must be ASCII letters, digits, '_' or '-', starting with a letter or digit"));
    }
  }
  if (options.database.empty()) {
    return absl::InvalidArgumentError(options.api == InfluxApi::kV2 ? "empty bucket name"
                                                                    : "empty database name");
  }
  if (options.gzip_level < 1 || options.gzip_level > 9) {
    return absl::InvalidArgumentError(
        absl::StrCat("gzip level ", options.gzip_level, " not in 1..9"));
  }
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeouts must be positive");
  }

  CurlGlobalInitOnce();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->curl.reset(curl_easy_init());
  if (!impl->curl) return absl::InternalError("curl_easy_init failed");
  CURL* c = impl->curl.get();

  if (v1) {
    const bool ipv6_literal =
        options.host.find(':') != std::string::npos && options.host.front() != '[';
    impl->base_url = absl::StrCat(options.ssl ? "https://" : "http://",
                                  ipv6_literal ? "[" : "", options.host,
                                  ipv6_literal ? "]" : "", ":", options.port);
  } else {
    impl->base_url = std::move(base_url);
    // The scheme of the URL decides, as for the Python client.
    impl->options.ssl = absl::StartsWith(impl->base_url, "https://");
  }
  impl->ping_url = impl->base_url + "/ping";
  impl->query_url = impl->base_url + "/query";
  impl->escaped_db = impl->Escape(options.database);
  switch (options.api) {
    case InfluxApi::kV1:
      impl->write_url = absl::StrCat(impl->base_url, "/write?db=", impl->escaped_db);
      if (!options.retention_policy.empty()) {
        absl::StrAppend(&impl->write_url, "&rp=", impl->Escape(options.retention_policy));
      }
      absl::StrAppend(&impl->write_url, "&precision=ns");
      break;
    case InfluxApi::kV2:
      impl->write_url = absl::StrCat(impl->base_url, "/api/v2/write?",
                                     IsOrgId(options.org) ? "orgID=" : "org=",
                                     impl->Escape(options.org), "&bucket=", impl->escaped_db,
                                     "&precision=ns");
      break;
    case InfluxApi::kV3:
      impl->write_url = absl::StrCat(impl->base_url, "/api/v3/write_lp?db=", impl->escaped_db,
                                     "&precision=nanosecond&accept_partial=true");
      break;
  }

  // InfluxDB 2 wants "Token", InfluxDB 3 documents "Bearer" (and takes
  // "Token" too).
  const std::string auth =
      v1 ? std::string()
         : absl::StrCat("Authorization: ", options.api == InfluxApi::kV2 ? "Token " : "Bearer ",
                        options.token);
  curl_slist* h = nullptr;
  h = curl_slist_append(h, "Content-Type: text/plain; charset=utf-8");
  // Without this libcurl sends "Expect: 100-continue" for bodies over 1 MB
  // and waits a round trip (up to 1 s with servers that ignore it) first.
  h = curl_slist_append(h, "Expect:");
  if (options.gzip) h = curl_slist_append(h, "Content-Encoding: gzip");
  if (!v1) h = curl_slist_append(h, auth.c_str());
  impl->write_headers.reset(h);
  if (!impl->write_headers) return absl::InternalError("curl_slist_append failed");
  if (!v1) {
    impl->auth_headers.reset(curl_slist_append(nullptr, auth.c_str()));
    curl_slist* j = curl_slist_append(nullptr, auth.c_str());
    if (j != nullptr) j = curl_slist_append(j, "Content-Type: application/json");
    impl->json_headers.reset(j);
    if (!impl->auth_headers || !impl->json_headers) {
      return absl::InternalError("curl_slist_append failed");
    }
  }

  // Signals are no way to time out a DNS lookup in a threaded server.
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options.connect_timeout)));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options.request_timeout)));
  // Notices a peer that vanished (e.g. a rebooted host) on an idle
  // keep-alive connection.
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "ocs-influx-publisher");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, impl->curl_error);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &impl->sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &impl->headers);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &impl->should_abort);
  if (v1 && !options.username.empty()) {
    // Credentials go in the Authorization header, never in the URL, so they
    // cannot end up in an error text or a log line that quotes the URL.
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(c, CURLOPT_USERNAME, impl->options.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, impl->options.password.c_str());
  }
  if (impl->options.ssl) {
    // OCS semantics: --ssl alone encrypts without checking who answers
    // (python requests' verify=False); --verify-ssl checks peer and name.
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options.verify_ssl ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options.verify_ssl ? 2L : 0L);
    if (!options.ca_file.empty()) {
      curl_easy_setopt(c, CURLOPT_CAINFO, impl->options.ca_file.c_str());
    }
    if (!options.verify_ssl && !warned_no_verify.exchange(true)) {
      LOG_WARNING("influx: TLS to %s without certificate verification (--verify-ssl, or "
                  "INFLUXDB_V2_VERIFY_SSL, is off)",
                  impl->base_url);
    }
  }
  return std::unique_ptr<InfluxClient>(new InfluxClient(std::move(impl)));
}

void InfluxClient::SetAbortCheck(std::function<bool()> should_abort) {
  impl_->should_abort = std::move(should_abort);
}

absl::Status InfluxClient::Ping() {
  Impl& d = *impl_;
  d.proven = false;
  d.SetGet(d.ping_url);
  long code = 0;
  const CURLcode rc = d.Perform(kMaxWriteAnswerBytes, false, &code);
  if (rc != CURLE_OK && code == 0) {
    return absl::UnavailableError(
        absl::StrCat("ping ", d.base_url, ": ", d.TransportError(rc)));
  }
  if (!d.v1() && (code == 401 || code == 403)) {
    return absl::UnauthenticatedError(d.TokenRefused(code));
  }
  if (!d.headers.from_influxdb) return absl::UnavailableError(d.NotInfluxDB(code));
  // InfluxDB 1 and 2 answer 204; InfluxDB 3 answers 200 with its version.
  const bool ok = code == 204 || (d.options.api == InfluxApi::kV3 && code == 200);
  if (!ok) return HttpError(code, absl::StrCat("ping ", d.base_url), d.AnswerError());
  d.proven = true;
  return absl::OkStatus();
}

absl::Status InfluxClient::PrepareTarget() {
  switch (impl_->options.api) {
    case InfluxApi::kV1: return CreateDatabase();
    case InfluxApi::kV2: return impl_->EnsureBucket();
    case InfluxApi::kV3: return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status InfluxClient::CreateDatabase() {
  Impl& d = *impl_;
  if (d.options.api == InfluxApi::kV2) return d.EnsureBucket();
  if (d.options.api == InfluxApi::kV3) {
    const std::string what = absl::StrCat("creating database ", d.options.database, " on ",
                                          d.base_url);
    const std::string request = absl::StrCat("{\"db\":", JsonQuote(d.options.database), "}");
    d.SetPost(d.base_url + "/api/v3/configure/database", request.data(), request.size(),
              d.json_headers.get());
    long code = 0;
    const CURLcode rc = d.Perform(kMaxWriteAnswerBytes, false, &code);
    if (rc != CURLE_OK && code == 0) {
      return absl::UnavailableError(absl::StrCat(what, ": ", d.TransportError(rc)));
    }
    if (code == 401 || code == 403) {
      return absl::UnauthenticatedError(absl::StrCat(what, ": ", d.TokenRefused(code)));
    }
    // 409: it exists already.
    if ((code >= 200 && code <= 299) || code == 409) return absl::OkStatus();
    return HttpError(code, what, d.AnswerError());
  }
  const std::string form = absl::StrCat(
      "q=", d.Escape("CREATE DATABASE " + QuoteInfluxQLIdentifier(d.options.database)));
  // No Content-Type header of ours: libcurl's default for a POST body is
  // application/x-www-form-urlencoded, which is what /query reads.
  d.SetPost(d.query_url, form.data(), form.size(), nullptr);
  long code = 0;
  const CURLcode rc = d.Perform(kMaxWriteAnswerBytes, false, &code);
  const std::string what = absl::StrCat("create database on ", d.base_url);
  if (rc != CURLE_OK && code == 0) {
    return absl::UnavailableError(absl::StrCat(what, ": ", d.TransportError(rc)));
  }
  if (!d.headers.from_influxdb) return absl::UnavailableError(d.NotInfluxDB(code));
  if (code < 200 || code > 299) return HttpError(code, what, d.AnswerError());
  // A statement error comes back as 200 with results[0].error.
  const std::string err = d.Scrub(ExtractJsonError(d.body, kMaxErrorTextBytes));
  if (!err.empty()) {
    if (absl::StrContains(err, "not authorized") || absl::StrContains(err, "requires admin")) {
      return absl::PermissionDeniedError(absl::StrCat(what, ": ", err));
    }
    return absl::FailedPreconditionError(absl::StrCat(what, ": ", err));
  }
  return absl::OkStatus();
}

WriteResult InfluxClient::Write(std::string_view lines) {
  Impl& d = *impl_;
  WriteResult result;
  const absl::Time start = absl::Now();
  result.bytes_raw = lines.size();
  if (d.options.api == InfluxApi::kV3 && !d.proven) {
    // InfluxDB 3 stamps its version on /ping only: ask who is there first.
    const absl::Status ping = Ping();
    if (!ping.ok()) {
      result.outcome = ping.code() == absl::StatusCode::kUnauthenticated
                           ? WriteOutcome::kUnauthorized
                       : absl::StrContains(ping.message(), "not InfluxDB")
                           ? WriteOutcome::kNotInfluxDB
                           : WriteOutcome::kRetryable;
      result.error = std::string(ping.message());
      result.latency = absl::Now() - start;
      return result;
    }
  }
  const void* data = lines.data();
  size_t size = lines.size();
  if (d.options.gzip) {
    absl::StatusOr<size_t> n = d.Gzip(lines);
    if (!n.ok()) {
      result.outcome = n.status().code() == absl::StatusCode::kResourceExhausted
                           ? WriteOutcome::kTooLarge
                           : WriteOutcome::kRetryable;
      result.error = std::string(n.status().message());
      result.latency = absl::Now() - start;
      return result;
    }
    data = d.gz.data();
    size = *n;
  }
  result.bytes_sent = size;
  d.SetPost(d.write_url, data, size, d.write_headers.get());
  long code = 0;
  const CURLcode rc = d.Perform(kMaxWriteAnswerBytes, false, &code);
  result.latency = absl::Now() - start;
  result.http_status = code;

  // influxd may answer (413, 401) before it has read the whole body and then
  // close; libcurl then reports a send error, but the answer is what counts.
  if (code < 200) {
    d.proven = false;
    result.http_status = 0;
    result.outcome = WriteOutcome::kRetryable;
    result.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    result.error = rc != CURLE_OK ? d.TransportError(rc)
                                  : absl::StrCat("unexpected HTTP status ", code);
    return result;
  }
  // "Too large" and "try again" cost nothing to believe, whoever says them
  // (a reverse proxy's 413 or 502 in front of InfluxDB).
  const bool harmless = code == 413 || code == 408 || code == 429 ||
                        (code >= 300 && code < 400) || code >= 500;
  if (code == 429 || code == 503) {
    result.retry_after = ParseRetryAfter(d.headers.retry_after, absl::Now());
  }
  const bool from_influxdb =
      d.headers.from_influxdb || (d.options.api == InfluxApi::kV3 && d.proven);
  if (!d.v1() && (code == 401 || code == 403)) {
    // Whoever says it (InfluxDB 3 answers 401 with no header, a proxy may
    // check the token): the points are fine and wait for a token.
    result.outcome = WriteOutcome::kUnauthorized;
    result.error = d.TokenRefused(code);
    return result;
  }
  if (!from_influxdb && !harmless) {
    d.proven = false;
    // Only InfluxDB can say a batch is stored or bad. A 200 from anything
    // else (a wrong port, a proxy's maintenance page) would delete points
    // that never landed; a 4xx (e.g. --ssl missing: Go's TLS port answers
    // clear text with 400) would dead-letter good ones; a 404 says nothing
    // about the database.
    result.outcome = WriteOutcome::kNotInfluxDB;
    result.error = d.NotInfluxDB(code);
    return result;
  }
  if (code == 204) {
    result.outcome = WriteOutcome::kOk;
    return result;
  }
  if (code <= 299) {
    // InfluxDB 1.x answers a stored write with 204 and nothing else; a 200
    // with a body is something in between (a caching proxy that copies
    // headers, another product): nothing is known stored.
    result.outcome = WriteOutcome::kNotInfluxDB;
    result.error = absl::StrCat("answer from something that is not InfluxDB at ", d.base_url,
                                " (HTTP ", code, " to a write; InfluxDB answers 204)");
    return result;
  }
  result.error = d.AnswerError();
  if (d.options.api == InfluxApi::kV3 && (code == 400 || code == 422)) {
    // A partial write: every other line is stored, so only the named ones
    // are refused, without bisecting. No list: bisect as for InfluxDB 1.
    result.rejected = ParsePartialWrite(d.body);
    const size_t line_count = static_cast<size_t>(std::count(lines.begin(), lines.end(), '\n')) +
                              (!lines.empty() && lines.back() != '\n' ? 1 : 0);
    bool valid = !result.rejected.empty();
    for (const WriteResult::RejectedLine& r : result.rejected) {
      if (r.line_number > line_count) valid = false;
    }
    if (valid) {
      result.outcome = WriteOutcome::kPartial;
      return result;
    }
    result.rejected.clear();
    // 422 without lines: a catalog limit (too many databases, tables,
    // columns), which is the site's configuration: keep and retry.
    result.outcome = code == 422 ? WriteOutcome::kRetryable : WriteOutcome::kRejected;
    if (result.error.empty()) result.error = absl::StrCat("HTTP ", code);
    return result;
  }
  if (code == 413) {
    result.outcome = WriteOutcome::kTooLarge;
  } else if (code == 401 || code == 403) {
    result.outcome = WriteOutcome::kUnauthorized;
  } else if (code >= 400 && code <= 499 &&
             absl::StrContains(result.error, "database not found")) {
    result.outcome = WriteOutcome::kDatabaseNotFound;
  } else if (code == 404 && !d.v1() && from_influxdb &&
             (absl::StrContains(result.error, "bucket") ||
              absl::StrContains(result.error, "database")) &&
             absl::StrContains(result.error, "not found")) {
    // InfluxDB 2's "bucket not found" (3: its database): make it.
    result.outcome = WriteOutcome::kDatabaseNotFound;
  } else if (code == 404 || code == 408 || code == 429) {
    // A 404 that is not "database not found" is a wrong path (a proxy
    // prefix): configuration, not data.
    result.outcome = WriteOutcome::kRetryable;
  } else if (code >= 400 && code <= 499) {
    result.outcome = WriteOutcome::kRejected;
  } else {
    // 5xx, and 3xx (we follow no redirects): the data is fine, so keep it
    // and try again rather than throw it away.
    result.outcome = WriteOutcome::kRetryable;
  }
  if (result.error.empty()) result.error = absl::StrCat("HTTP ", code);
  if (!from_influxdb) {
    result.error = absl::StrCat(d.NotInfluxDB(code), ": ", result.error);
  }
  return result;
}

absl::StatusOr<std::string> InfluxClient::Query(std::string_view q, std::string_view epoch) {
  Impl& d = *impl_;
  std::string url = absl::StrCat(d.query_url, "?db=", d.escaped_db, "&q=", d.Escape(q));
  if (!epoch.empty()) absl::StrAppend(&url, "&epoch=", d.Escape(epoch));
  d.SetGet(url);
  long code = 0;
  const CURLcode rc = d.Perform(d.options.max_query_response_bytes, true, &code);
  const std::string what = absl::StrCat("query on ", d.base_url);
  if (d.sink.overflowed) {
    return absl::ResourceExhaustedError(absl::StrCat(
        what, ": answer larger than ", d.options.max_query_response_bytes, " bytes"));
  }
  if (rc != CURLE_OK && code == 0) {
    return absl::UnavailableError(absl::StrCat(what, ": ", d.TransportError(rc)));
  }
  if (code < 200 || code > 299) return HttpError(code, what, d.AnswerError());
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(what, ": ", d.TransportError(rc)));
  }
  return std::move(d.body);
}

absl::Status LoadCredentialsFromEnvironment(
    InfluxOptions* options, std::function<const char*(const char*)> getenv_fn) {
  absl::StatusOr<std::optional<std::string>> username =
      ReadEnvOrFile("INFLUXDB_USERNAME", getenv_fn);
  if (!username.ok()) return username.status();
  absl::StatusOr<std::optional<std::string>> password =
      ReadEnvOrFile("INFLUXDB_PASSWORD", getenv_fn);
  if (!password.ok()) return password.status();
  options->username = username->value_or("root");
  options->password = password->value_or("root");
  return absl::OkStatus();
}

}  // namespace ocs_influx::influx
