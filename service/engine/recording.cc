#include "service/engine/recording.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ocs_influx::server {

const char* RecordingStateName(RecordingState state) {
  switch (state) {
    case RecordingState::kIdle: return "idle";
    case RecordingState::kStarting: return "starting";
    case RecordingState::kRunning: return "running";
    case RecordingState::kStopping: return "stopping";
    case RecordingState::kDone: return "done";
  }
  return "unknown";
}

namespace {

OpCode OpCodeOf(const RecordingSnapshot& s) {
  switch (s.state) {
    case RecordingState::kIdle: return OpCode::kNone;
    case RecordingState::kStarting: return OpCode::kStarting;
    case RecordingState::kRunning:
      return s.degraded ? OpCode::kDegraded : OpCode::kRunning;
    case RecordingState::kStopping: return OpCode::kStopping;
    case RecordingState::kDone:
      return s.success.value_or(false) ? OpCode::kSucceeded : OpCode::kFailed;
  }
  return OpCode::kNone;
}

}  // namespace

void Recording::AddMessageLocked(std::string text) const {
  session_.messages.push_back({absl::Now(), std::move(text)});
  while (session_.messages.size() > kMaxMessages) session_.messages.pop_front();
}

void Recording::SetStateLocked(RecordingState state) const {
  session_.state = state;
  session_.op_code = OpCodeOf(session_);
  AddMessageLocked(absl::StrCat("Status is now \"", RecordingStateName(state), "\"."));
}

absl::Status Recording::Start(bool test_mode, absl::Duration test_cycle) {
  absl::MutexLock lock(&mu_);
  ExpireTestModeLocked();
  if (session_.state == RecordingState::kStarting ||
      session_.state == RecordingState::kRunning ||
      session_.state == RecordingState::kStopping) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Operation \"record\" already in progress (status ",
        RecordingStateName(session_.state), ")."));
  }
  session_ = RecordingSnapshot();
  session_.session_id = next_session_id_++;
  session_.test_mode = test_mode;
  session_.start_time = absl::Now();
  test_mode_ends_ =
      test_mode ? session_.start_time + test_cycle : absl::InfiniteFuture();
  SetStateLocked(RecordingState::kStarting);
  return absl::OkStatus();
}

void Recording::MarkRunning() {
  absl::MutexLock lock(&mu_);
  ExpireTestModeLocked();
  if (session_.state == RecordingState::kStarting) {
    SetStateLocked(RecordingState::kRunning);
  }
}

absl::Status Recording::Stop() {
  absl::MutexLock lock(&mu_);
  ExpireTestModeLocked();
  if (session_.state != RecordingState::kStarting &&
      session_.state != RecordingState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat(
        "record is not running (status ", RecordingStateName(session_.state),
        ")"));
  }
  AddMessageLocked("Stopping aggregation");
  SetStateLocked(RecordingState::kStopping);
  return absl::OkStatus();
}

void Recording::Finish(bool success) {
  absl::MutexLock lock(&mu_);
  FinishLocked(success);
}

void Recording::FinishLocked(bool success) const {
  if (session_.state == RecordingState::kIdle ||
      session_.state == RecordingState::kDone) {
    return;
  }
  if (session_.state == RecordingState::kStarting) {
    SetStateLocked(RecordingState::kRunning);
  }
  if (session_.state == RecordingState::kRunning) {
    SetStateLocked(RecordingState::kStopping);
  }
  session_.success = success;
  session_.end_time = absl::Now();
  session_.degraded = false;
  test_mode_ends_ = absl::InfiniteFuture();
  SetStateLocked(RecordingState::kDone);
}

void Recording::ExpireTestModeLocked() const {
  if (absl::Now() >= test_mode_ends_) FinishLocked(true);
}

void Recording::SetDegraded(bool degraded) {
  absl::MutexLock lock(&mu_);
  ExpireTestModeLocked();
  if (session_.state != RecordingState::kStarting &&
      session_.state != RecordingState::kRunning) {
    return;
  }
  if (session_.degraded == degraded) return;
  session_.degraded = degraded;
  session_.op_code = OpCodeOf(session_);
  AddMessageLocked(degraded ? "InfluxDB unreachable: points wait in the spool."
                            : "InfluxDB reachable again.");
}

bool Recording::Accepting() const {
  absl::MutexLock lock(&mu_);
  ExpireTestModeLocked();
  return session_.state == RecordingState::kStarting ||
         session_.state == RecordingState::kRunning;
}

RecordingSnapshot Recording::Snapshot() const {
  absl::MutexLock lock(&mu_);
  ExpireTestModeLocked();
  return session_;
}

}  // namespace ocs_influx::server
