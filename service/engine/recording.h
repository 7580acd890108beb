// The `record` process as OCS runs it: a session per start, whose status
// only moves forward (starting -> running -> stopping -> done), with the
// session messages OCS clients show. It gates acceptance: write RPCs are
// accepted only while a session is starting or running.
#ifndef OCS_INFLUX_SERVICE_ENGINE_RECORDING_H_
#define OCS_INFLUX_SERVICE_ENGINE_RECORDING_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ocs_influx::server {

enum class RecordingState { kIdle, kStarting, kRunning, kStopping, kDone };

// OCS OpCode values.
enum class OpCode : int {
  kNone = 1, kStarting = 2, kRunning = 3, kStopping = 4, kSucceeded = 5,
  kFailed = 6, kExpired = 7, kDegraded = 8,
};

const char* RecordingStateName(RecordingState state);  // OCS spelling

struct SessionMessage {
  absl::Time time;
  std::string text;
};

struct RecordingSnapshot {
  RecordingState state = RecordingState::kIdle;
  OpCode op_code = OpCode::kNone;
  bool degraded = false;
  std::optional<bool> success;
  int64_t session_id = -1;  // -1: never started
  bool test_mode = false;
  absl::Time start_time = absl::InfinitePast();
  absl::Time end_time = absl::InfinitePast();  // InfinitePast: not ended
  std::deque<SessionMessage> messages;
};

class Recording {
 public:
  // OCS keeps every message of a session; a 24/7 recording would grow
  // without bound, so the oldest beyond this are forgotten.
  static constexpr size_t kMaxMessages = 200;

  // FAILED_PRECONDITION when a session is starting, running or stopping.
  // A test-mode session ends by itself, done with success, `test_cycle`
  // after it started.
  absl::Status Start(bool test_mode, absl::Duration test_cycle = absl::ZeroDuration());
  // starting -> running.
  void MarkRunning();
  // FAILED_PRECONDITION unless starting or running. Moves to stopping.
  absl::Status Stop();
  // stopping (or running, for test mode) -> done.
  void Finish(bool success);
  // Running while InfluxDB is unreachable: OCS's DEGRADED op_code.
  void SetDegraded(bool degraded);

  bool Accepting() const;
  RecordingSnapshot Snapshot() const;

 private:
  void SetStateLocked(RecordingState state) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishLocked(bool success) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends a test-mode session whose cycle is over. Checked whenever the
  // state is read, so no thread or timer has to do it.
  void ExpireTestModeLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddMessageLocked(std::string text) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Mutable: reading the state may end an expired test-mode session.
  mutable absl::Mutex mu_;
  mutable RecordingSnapshot session_ ABSL_GUARDED_BY(mu_);
  int64_t next_session_id_ ABSL_GUARDED_BY(mu_) = 0;
  mutable absl::Time test_mode_ends_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
};

}  // namespace ocs_influx::server

#endif  // OCS_INFLUX_SERVICE_ENGINE_RECORDING_H_
