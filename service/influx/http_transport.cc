#include "service/influx/http_transport.h"

#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/utf8/utf8.h"
#include "service/influx/answer_text.h"

namespace ocs_influx::influx {
namespace {

constexpr size_t kMaxHeaderValueBytes = 1024;
constexpr long kUploadBufferBytes = 2L << 20;

// curl_global_init is not thread-safe in every libcurl build, and must run
// before any other thread uses libcurl.
void CurlGlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

bool HeaderList::Add(const std::string& line) {
  curl_slist* l = curl_slist_append(list_.get(), line.c_str());
  if (l == nullptr) return false;
  list_.release();  // now owned through `l` (the same list, one longer)
  list_.reset(l);
  return true;
}

size_t HttpTransport::OnBody(char* data, size_t size, size_t n, void* userdata) {
  std::string* body = static_cast<std::string*>(userdata);
  const size_t bytes = size * n;
  const size_t room = kMaxAnswerBytes > body->size() ? kMaxAnswerBytes - body->size() : 0;
  body->append(data, std::min(bytes, room));
  return bytes;
}

size_t HttpTransport::OnHeader(char* data, size_t size, size_t n, void* userdata) {
  auto* out = static_cast<HttpAnswer*>(userdata);
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

int HttpTransport::OnProgress(void* userdata, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* should_abort = static_cast<const std::function<bool()>*>(userdata);
  return *should_abort && (*should_abort)() ? 1 : 0;
}

absl::StatusOr<std::unique_ptr<HttpTransport>> HttpTransport::Create(Settings settings) {
  CurlGlobalInitOnce();
  std::unique_ptr<HttpTransport> t(new HttpTransport(std::move(settings)));
  t->curl_.reset(curl_easy_init());
  if (!t->curl_) return absl::InternalError("curl_easy_init failed");
  CURL* c = t->curl_.get();
  const Settings& s = t->settings_;
  // Signals are no way to time out a DNS lookup in a threaded server.
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(s.connect_timeout)));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(s.request_timeout)));
  // Notices a peer that vanished (e.g. a rebooted host) on an idle
  // keep-alive connection.
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  // libcurl copies a POST body through this buffer and sends it a buffer
  // at a time, polling the socket between sends: at the default 64 KiB a
  // 2 MiB batch took 32 sends and twice as many polls and peeks. Its
  // largest size, 2 MiB, is allocated once per transport.
  curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBufferBytes);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "ocs-influx-publisher");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->curl_error_);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t->answer_.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t->answer_);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t->should_abort_);
  if (!s.basic_user.empty()) {
    // Credentials go in the Authorization header, never in the URL, so they
    // cannot end up in an error text or a log line that quotes the URL.
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(c, CURLOPT_USERNAME, s.basic_user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, s.basic_password.c_str());
  }
  if (s.tls) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, s.verify_tls ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, s.verify_tls ? 2L : 0L);
    if (!s.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, s.ca_file.c_str());
  }
  return t;
}

std::string HttpTransport::Escape(std::string_view s) const {
  char* e = curl_easy_escape(curl_.get(), s.data(), static_cast<int>(s.size()));
  std::string out = e != nullptr ? e : "";
  curl_free(e);
  return out;
}

const HttpAnswer& HttpTransport::Get(const std::string& url, const HeaderList* headers) {
  curl_easy_setopt(curl_.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_.get(), CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl_.get(), CURLOPT_HTTPHEADER, headers != nullptr ? headers->get() : nullptr);
  return Perform();
}

const HttpAnswer& HttpTransport::Post(const std::string& url, std::string_view body,
                                      const HeaderList* headers) {
  curl_easy_setopt(curl_.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(curl_.get(), CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl_.get(), CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl_.get(), CURLOPT_HTTPHEADER, headers != nullptr ? headers->get() : nullptr);
  return Perform();
}

const HttpAnswer& HttpTransport::Perform() {
  HttpAnswer& a = answer_;
  a.body.clear();
  a.from_influxdb = false;
  a.influx_error.clear();
  a.retry_after.clear();
  a.transport_error.clear();
  curl_error_[0] = '\0';
  const CURLcode rc = curl_easy_perform(curl_.get());
  a.status = 0;
  curl_easy_getinfo(curl_.get(), CURLINFO_RESPONSE_CODE, &a.status);
  a.transport_failed = rc != CURLE_OK;
  a.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
  a.aborted = rc == CURLE_ABORTED_BY_CALLBACK;
  if (a.aborted) {
    a.transport_error = "request abandoned: the publisher is stopping";
  } else if (a.transport_failed) {
    a.transport_error = utf8::Sanitize(
        curl_error_[0] != '\0' ? curl_error_ : curl_easy_strerror(rc), kMaxErrorTextBytes);
  }
  return a;
}

}  // namespace ocs_influx::influx
