// An InfluxEndpoint whose answers the test scripts, for unit tests of the
// writer: every answer the writer's logic branches on (stored, refused,
// too large, partial, not found, unauthorized, busy with Retry-After, a
// stranger) without an influxd. Thread-safe: the writer thread calls it,
// the test thread scripts and inspects it.
#ifndef OCS_INFLUX_TESTS_SERVER_SCRIPTED_ENDPOINT_H_
#define OCS_INFLUX_TESTS_SERVER_SCRIPTED_ENDPOINT_H_

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "service/influx/endpoint.h"

namespace ocs_influx::testing {

class ScriptedEndpoint : public influx::InfluxEndpoint {
 public:
  using Answer = std::function<influx::WriteResult(std::string_view lines)>;

  struct Call {
    std::string lines;
    absl::Time at;
    influx::WriteOutcome outcome;
  };

  // A stored write, as InfluxDB's 204.
  static influx::WriteResult Ok() {
    influx::WriteResult r;
    r.outcome = influx::WriteOutcome::kOk;
    r.http_status = 204;
    return r;
  }
  static influx::WriteResult Answered(influx::WriteOutcome outcome, long http_status,
                                      std::string error) {
    influx::WriteResult r;
    r.outcome = outcome;
    r.http_status = http_status;
    r.error = std::move(error);
    return r;
  }

  // Decides the answer to each write from its lines; every write is stored
  // until this is called.
  void SetAnswer(Answer answer) {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(answer);
  }
  void SetPingStatus(absl::Status s) {
    absl::MutexLock lock(&mu_);
    ping_ = std::move(s);
  }

  std::vector<Call> writes() const {
    absl::MutexLock lock(&mu_);
    return writes_;
  }
  // The lines of every write answered kOk, in order.
  std::string stored() const {
    absl::MutexLock lock(&mu_);
    std::string out;
    for (const Call& c : writes_) {
      if (c.outcome == influx::WriteOutcome::kOk) out += c.lines;
    }
    return out;
  }
  int pings() const {
    absl::MutexLock lock(&mu_);
    return pings_;
  }
  int creates() const {
    absl::MutexLock lock(&mu_);
    return creates_;
  }
  int prepares() const {
    absl::MutexLock lock(&mu_);
    return prepares_;
  }
  // Waits (bounded) until `done` holds of the writes so far.
  bool AwaitWrites(const std::function<bool(const std::vector<Call>&)>& done,
                   absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    auto cond = [&] { return done(writes_); };
    return mu_.AwaitWithTimeout(absl::Condition(&cond), timeout);
  }

  std::string BaseUrl() const override { return "http://scripted.invalid:8086"; }
  void SetAbortCheck(std::function<bool()>) override {}
  absl::Status Ping() override {
    absl::MutexLock lock(&mu_);
    ++pings_;
    return ping_;
  }
  absl::Status PrepareTarget() override {
    absl::MutexLock lock(&mu_);
    ++prepares_;
    return absl::OkStatus();
  }
  absl::Status CreateDatabase() override {
    absl::MutexLock lock(&mu_);
    ++creates_;
    return absl::OkStatus();
  }
  influx::WriteResult Write(std::string_view lines) override {
    absl::MutexLock lock(&mu_);
    influx::WriteResult r = answer_ ? answer_(lines) : Ok();
    r.bytes_raw = r.bytes_sent = lines.size();
    writes_.push_back(Call{std::string(lines), absl::Now(), r.outcome});
    return r;
  }

 private:
  mutable absl::Mutex mu_;
  Answer answer_ ABSL_GUARDED_BY(mu_);
  absl::Status ping_ ABSL_GUARDED_BY(mu_);
  std::vector<Call> writes_ ABSL_GUARDED_BY(mu_);
  int pings_ ABSL_GUARDED_BY(mu_) = 0;
  int creates_ ABSL_GUARDED_BY(mu_) = 0;
  int prepares_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ocs_influx::testing

#endif  // OCS_INFLUX_TESTS_SERVER_SCRIPTED_ENDPOINT_H_
