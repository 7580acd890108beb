// HTTP for the InfluxDB client: one libcurl easy handle, so the keep-alive
// connection is reused across requests, with bounded answers and the few
// headers InfluxDB's answers carry that matter to us. It knows nothing of
// InfluxDB's APIs (client.cc and api.cc do). Used by one thread at a time.
#ifndef OCS_INFLUX_SERVICE_INFLUX_HTTP_TRANSPORT_H_
#define OCS_INFLUX_SERVICE_INFLUX_HTTP_TRANSPORT_H_

#include <curl/curl.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ocs_influx::influx {

// Request headers, kept for the life of the client.
class HeaderList {
 public:
  // False if libcurl could not allocate.
  bool Add(const std::string& line);
  curl_slist* get() const { return list_.get(); }

 private:
  struct Free {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
  };
  std::unique_ptr<curl_slist, Free> list_;
};

struct HttpAnswer {
  long status = 0;  // 0: no HTTP answer
  // libcurl's request failed. The status may still be set: influxd may
  // answer (413, 401) before it has read the whole body and then close.
  bool transport_failed = false;
  bool timed_out = false;
  bool aborted = false;         // the abort check said stop
  std::string transport_error;  // when transport_failed: sanitized, one line
  // influxd stamps every answer with X-Influxdb-Version; an answer without
  // it came from something else (a proxy, a TLS port spoken to in clear).
  bool from_influxdb = false;
  std::string influx_error;  // X-Influxdb-Error: when the JSON body is missing
  std::string retry_after;   // Retry-After, raw
  std::string body;          // at most kMaxAnswerBytes of it
};

class HttpTransport {
 public:
  // An answer to a write or a management call is a few hundred bytes of
  // JSON; anything past this is dropped (but still read, so that the
  // keep-alive connection stays usable).
  static constexpr size_t kMaxAnswerBytes = 64 * 1024;

  struct Settings {
    absl::Duration connect_timeout;
    absl::Duration request_timeout;
    bool tls = false;
    // TLS without verification encrypts without checking who answers (the
    // OCS agents' --ssl without --verify-ssl).
    bool verify_tls = false;
    std::string ca_file;
    // HTTP basic auth in the Authorization header, never in the URL; empty
    // user: none.
    std::string basic_user;
    std::string basic_password;
  };

  static absl::StatusOr<std::unique_ptr<HttpTransport>> Create(Settings settings);
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // URL-encodes a query parameter.
  std::string Escape(std::string_view s) const;
  // A request in flight ends within about a second once `should_abort`
  // returns true (libcurl's progress callback, on the calling thread).
  void SetAbortCheck(std::function<bool()> should_abort) { should_abort_ = std::move(should_abort); }

  // The answer stays valid until the next request. `headers` may be null.
  const HttpAnswer& Get(const std::string& url, const HeaderList* headers);
  // No copy: libcurl reads the body straight from `body`.
  const HttpAnswer& Post(const std::string& url, std::string_view body,
                         const HeaderList* headers);

 private:
  struct CurlFree {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  explicit HttpTransport(Settings settings) : settings_(std::move(settings)) {}
  const HttpAnswer& Perform();

  static size_t OnBody(char* data, size_t size, size_t n, void* userdata);
  static size_t OnHeader(char* data, size_t size, size_t n, void* userdata);
  static int OnProgress(void* userdata, curl_off_t, curl_off_t, curl_off_t, curl_off_t);

  const Settings settings_;  // libcurl keeps pointers into the strings
  std::unique_ptr<CURL, CurlFree> curl_;
  char curl_error_[CURL_ERROR_SIZE] = {};
  std::function<bool()> should_abort_;
  HttpAnswer answer_;  // reused: its body keeps its capacity
};

}  // namespace ocs_influx::influx

#endif  // OCS_INFLUX_SERVICE_INFLUX_HTTP_TRANSPORT_H_
