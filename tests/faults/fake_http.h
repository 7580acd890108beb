// A loopback HTTP/1.1 server for tests that need InfluxDB's place taken by
// something else: a server that answers 200 to everything (a wrong port, a
// proxy's maintenance page), one that answers 404, or a proxy in front of a
// real influxd that fails or hangs on chosen requests. Each request goes to
// a handler the test sets (and may change while the server runs); Forward()
// passes a request on to a real server and returns its answer.
#ifndef OCS_INFLUX_TESTS_FAULTS_FAKE_HTTP_H_
#define OCS_INFLUX_TESTS_FAULTS_FAKE_HTTP_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace ocs_influx::faults {

struct HttpRequest {
  std::string method;
  std::string target;  // path and query, e.g. "/write?db=x&precision=ns"
  std::string body;
  std::string path() const { return target.substr(0, target.find('?')); }
};

struct HttpAnswer {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Answer nothing until the client gives up (closes) or the server stops:
  // a request that times out.
  bool hang = false;
};

// What influxd 1.6 stamps on every answer.
inline std::pair<std::string, std::string> InfluxVersionHeader() {
  return {"X-Influxdb-Version", "1.6.7~rc0"};
}

class FakeHttpServer {
 public:
  using Handler = std::function<HttpAnswer(const HttpRequest&)>;

  static absl::StatusOr<std::unique_ptr<FakeHttpServer>> Start(Handler handler);
  ~FakeHttpServer();  // closes every socket, joins every thread
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  int port() const { return port_; }
  void SetHandler(Handler handler);
  // Requests seen so far whose path is `path` (all paths if empty).
  int requests(const std::string& path = "") const;

  // Sends `request` to 127.0.0.1:`port` and returns the answer (status 502
  // if there is none), keeping the X-Influxdb-* headers.
  static HttpAnswer Forward(int port, const HttpRequest& request);

 private:
  FakeHttpServer() = default;
  void AcceptLoop();
  void Serve(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  mutable absl::Mutex mu_;
  Handler handler_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> seen_paths_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ocs_influx::faults

#endif  // OCS_INFLUX_TESTS_FAULTS_FAKE_HTTP_H_
