#include "service/engine/counters.h"

#include <algorithm>
#include <cmath>

#include "absl/time/clock.h"

namespace ocs_influx::server {

void LatencyWindow::Add(absl::Duration latency) {
  absl::MutexLock lock(&mu_);
  micros_[next_] = absl::ToInt64Microseconds(latency);
  next_ = (next_ + 1) % kSize;
  count_ = std::min(count_ + 1, kSize);
}

absl::Duration LatencyWindow::Percentile(double q) const {
  std::vector<int64_t> sorted;
  {
    absl::MutexLock lock(&mu_);
    sorted.assign(micros_.begin(), micros_.begin() + count_);
  }
  if (sorted.empty()) return absl::ZeroDuration();
  size_t index = static_cast<size_t>(std::ceil(q * sorted.size()));
  index = std::clamp<size_t>(index, 1, sorted.size()) - 1;
  std::nth_element(sorted.begin(), sorted.begin() + index, sorted.end());
  return absl::Microseconds(sorted[index]);
}

void ConnectionState::RecordSuccess() {
  absl::MutexLock lock(&mu_);
  state_.connected = true;
  state_.last_success = absl::Now();
}

void ConnectionState::RecordError(std::string error) {
  absl::MutexLock lock(&mu_);
  state_.connected = false;
  state_.last_error = std::move(error);
  state_.last_error_time = absl::Now();
}

void ConnectionState::RecordProblem(std::string error) {
  absl::MutexLock lock(&mu_);
  state_.last_error = std::move(error);
  state_.last_error_time = absl::Now();
}

ConnectionState::Snapshot ConnectionState::Get() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

}  // namespace ocs_influx::server
