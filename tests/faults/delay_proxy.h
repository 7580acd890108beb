// A loopback TCP proxy for fault tests: forwards 127.0.0.1:port() to an
// upstream port, and can delay every answer (each chunk the upstream sends
// back waits `delay` before it is passed on) or stall completely (nothing
// passes in either direction until resumed), as a slow or hung InfluxDB
// behind a busy network would.
#ifndef OCS_INFLUX_TESTS_FAULTS_DELAY_PROXY_H_
#define OCS_INFLUX_TESTS_FAULTS_DELAY_PROXY_H_

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ocs_influx::faults {

class DelayProxy {
 public:
  static absl::StatusOr<std::unique_ptr<DelayProxy>> Start(int upstream_port);
  ~DelayProxy();  // closes every socket and joins every thread
  DelayProxy(const DelayProxy&) = delete;
  DelayProxy& operator=(const DelayProxy&) = delete;

  int port() const { return port_; }
  void SetDelay(absl::Duration delay);
  void SetStalled(bool stalled);
  int connections() const { return connections_.load(); }

 private:
  DelayProxy() = default;
  void AcceptLoop();
  void Pump(int from, int to, bool answers);
  // Waits while stalled; false once stopping.
  bool WaitUnstalled();

  int upstream_port_ = 0;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> stalled_{false};
  std::atomic<int64_t> delay_ns_{0};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  absl::Mutex mu_;
  std::vector<std::thread> pumps_ ABSL_GUARDED_BY(mu_);
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ocs_influx::faults

#endif  // OCS_INFLUX_TESTS_FAULTS_DELAY_PROXY_H_
