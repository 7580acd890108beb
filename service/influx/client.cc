#include "service/influx/client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "service/log/log.h"

namespace ocs_influx::influx {
namespace {

// A /write answer is a few hundred bytes of JSON; anything past this is
// dropped (but still read, so the keep-alive connection stays usable).
constexpr size_t kMaxWriteAnswerBytes = 64 * 1024;
constexpr size_t kMaxHeaderValueBytes = 1024;
constexpr size_t kMaxErrorTextBytes = 512;
constexpr int kMaxJsonDepth = 32;

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
  if (absl::StartsWithIgnoreCase(line, kVersion)) {
    out->from_influxdb = true;
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

}  // namespace

std::string_view WriteOutcomeName(WriteOutcome outcome) {
  switch (outcome) {
    case WriteOutcome::kOk: return "ok";
    case WriteOutcome::kRetryable: return "retryable";
    case WriteOutcome::kTooLarge: return "too_large";
    case WriteOutcome::kDatabaseNotFound: return "database_not_found";
    case WriteOutcome::kRejected: return "rejected";
    case WriteOutcome::kUnauthorized: return "unauthorized";
    case WriteOutcome::kNotInfluxDB: return "not_influxdb";
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
  std::string base_url;
  std::string write_url;
  std::string ping_url;
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
    return text;
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
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, nullptr);
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

absl::StatusOr<std::unique_ptr<InfluxClient>> InfluxClient::Create(
    const InfluxOptions& options) {
  if (!ValidHost(options.host)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid InfluxDB host '",
                                                   SanitizeText(options.host, 64), "'"));
  }
  if (options.port < 1 || options.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("invalid InfluxDB port ", options.port));
  }
  if (options.database.empty()) return absl::InvalidArgumentError("empty database name");
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

  const bool ipv6_literal =
      options.host.find(':') != std::string::npos && options.host.front() != '[';
  impl->base_url = absl::StrCat(options.ssl ? "https://" : "http://",
                                ipv6_literal ? "[" : "", options.host,
                                ipv6_literal ? "]" : "", ":", options.port);
  impl->ping_url = impl->base_url + "/ping";
  impl->query_url = impl->base_url + "/query";
  impl->escaped_db = impl->Escape(options.database);
  impl->write_url = absl::StrCat(impl->base_url, "/write?db=", impl->escaped_db);
  if (!options.retention_policy.empty()) {
    absl::StrAppend(&impl->write_url, "&rp=", impl->Escape(options.retention_policy));
  }
  absl::StrAppend(&impl->write_url, "&precision=ns");

  curl_slist* h = nullptr;
  h = curl_slist_append(h, "Content-Type: text/plain; charset=utf-8");
  // Without this libcurl sends "Expect: 100-continue" for bodies over 1 MB
  // and waits a round trip (up to 1 s with servers that ignore it) first.
  h = curl_slist_append(h, "Expect:");
  if (options.gzip) h = curl_slist_append(h, "Content-Encoding: gzip");
  impl->write_headers.reset(h);
  if (!impl->write_headers) return absl::InternalError("curl_slist_append failed");

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
  if (!options.username.empty()) {
    // Credentials go in the Authorization header, never in the URL, so they
    // cannot end up in an error text or a log line that quotes the URL.
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(c, CURLOPT_USERNAME, impl->options.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, impl->options.password.c_str());
  }
  if (options.ssl) {
    // OCS semantics: --ssl alone encrypts without checking who answers
    // (python requests' verify=False); --verify-ssl checks peer and name.
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options.verify_ssl ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options.verify_ssl ? 2L : 0L);
    if (!options.ca_file.empty()) {
      curl_easy_setopt(c, CURLOPT_CAINFO, impl->options.ca_file.c_str());
    }
    if (!options.verify_ssl && !warned_no_verify.exchange(true)) {
      LOG_WARNING("influx: TLS to %s without certificate verification (--verify-ssl is off)",
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
  d.SetGet(d.ping_url);
  long code = 0;
  const CURLcode rc = d.Perform(kMaxWriteAnswerBytes, false, &code);
  if (rc != CURLE_OK && code == 0) {
    return absl::UnavailableError(
        absl::StrCat("ping ", d.base_url, ": ", d.TransportError(rc)));
  }
  if (!d.headers.from_influxdb) return absl::UnavailableError(d.NotInfluxDB(code));
  if (code != 204) return HttpError(code, absl::StrCat("ping ", d.base_url), d.AnswerError());
  return absl::OkStatus();
}

absl::Status InfluxClient::CreateDatabase() {
  Impl& d = *impl_;
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
  if (!d.headers.from_influxdb && !harmless) {
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
  if (code == 413) {
    result.outcome = WriteOutcome::kTooLarge;
  } else if (code == 401 || code == 403) {
    result.outcome = WriteOutcome::kUnauthorized;
  } else if (code >= 400 && code <= 499 &&
             absl::StrContains(result.error, "database not found")) {
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
  if (!d.headers.from_influxdb) {
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
  auto read_one = [&](const char* var, const char* file_var,
                      std::string* out) -> absl::Status {
    if (const char* v = getenv_fn(var); v != nullptr) {
      *out = v;
      return absl::OkStatus();
    }
    const char* path = getenv_fn(file_var);
    if (path == nullptr) {
      *out = "root";
      return absl::OkStatus();
    }
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return absl::NotFoundError(absl::StrCat("cannot read ", file_var, " file '", path,
                                              "': ", std::strerror(errno)));
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
        return absl::DataLossError(absl::StrCat("cannot read ", file_var, " file '", path,
                                                "': ", std::strerror(err)));
      }
      if (n == 0) break;
      content.append(buf, static_cast<size_t>(n));
      if (content.size() > kMaxCredentialBytes) {
        ::close(fd);
        return absl::InvalidArgumentError(absl::StrCat(
            file_var, " file '", path, "' is larger than ", kMaxCredentialBytes, " bytes"));
      }
    }
    ::close(fd);
    // As the OCS agent: Python's rstrip('\r\n') drops every trailing CR/LF.
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
      content.pop_back();
    }
    *out = std::move(content);
    return absl::OkStatus();
  };
  std::string username, password;
  absl::Status s = read_one("INFLUXDB_USERNAME", "INFLUXDB_USERNAME_FILE", &username);
  if (!s.ok()) return s;
  s = read_one("INFLUXDB_PASSWORD", "INFLUXDB_PASSWORD_FILE", &password);
  if (!s.ok()) return s;
  options->username = std::move(username);
  options->password = std::move(password);
  return absl::OkStatus();
}

}  // namespace ocs_influx::influx
