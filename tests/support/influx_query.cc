#include "tests/support/influx_query.h"

#include <curl/curl.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "service/influx/answer_text.h"

namespace ocs_influx::testing {
namespace {

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

absl::StatusOr<std::string> QueryInflux(const influx::InfluxOptions& options, std::string_view q,
                                        std::string_view epoch) {
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) return absl::InternalError("curl_easy_init failed");
  auto escape = [&](std::string_view s) {
    char* e = curl_easy_escape(curl.get(), s.data(), static_cast<int>(s.size()));
    std::string out = e != nullptr ? e : "";
    curl_free(e);
    return out;
  };
  std::string form = absl::StrCat("db=", escape(options.database), "&q=", escape(q));
  if (!epoch.empty()) absl::StrAppend(&form, "&epoch=", escape(epoch));
  const std::string url = absl::StrCat(options.ssl ? "https://" : "http://", options.host, ":",
                                       options.port, "/query");
  std::string body;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, form.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(form.size()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  if (!options.username.empty()) {
    curl_easy_setopt(curl.get(), CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(curl.get(), CURLOPT_USERNAME, options.username.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, options.password.c_str());
  }
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat("query ", url, ": ", curl_easy_strerror(rc)));
  }
  long code = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
  if (code < 200 || code > 299) {
    std::string e = influx::ExtractJsonError(body);
    return absl::InvalidArgumentError(
        absl::StrCat("query: HTTP ", code, ": ", e.empty() ? body : e));
  }
  return body;
}

}  // namespace ocs_influx::testing
