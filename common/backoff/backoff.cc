#include "common/backoff/backoff.h"

#include <algorithm>
#include <random>

namespace ocs_influx {

Backoff::Backoff(absl::Duration initial, absl::Duration max)
    : initial_(std::max(initial, absl::Milliseconds(1))),
      max_(std::max(max, initial_)),
      current_(initial_) {}

absl::Duration Backoff::Next() {
  // Seeded at the first wait, not at construction: a Backoff is made per
  // call on hot paths (the adapter's sender, the writer) and most never
  // wait, while std::random_device costs a system call (2.7 % of the
  // adapter's CPU at 20,000 points/s when it was made each time).
  if (rng_ == 0) rng_ = std::random_device{}() | 1;
  // xorshift64: jitter needs spread, not cryptographic quality.
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  const double factor = 0.5 + 0.5 * static_cast<double>(rng_ >> 11) / static_cast<double>(1ull << 53);
  const absl::Duration delay = current_ * factor;
  current_ = std::min(current_ * 2, max_);
  ++attempts_;
  return delay;
}

void Backoff::Reset() {
  current_ = initial_;
  attempts_ = 0;
}

bool StopSignal::SleepUntil(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto stopped = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopped_; };
  mu_.AwaitWithDeadline(absl::Condition(&stopped), deadline);
  return !stopped_;
}

void StopSignal::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
}

bool StopSignal::stopped() const {
  absl::MutexLock lock(&mu_);
  return stopped_;
}

}  // namespace ocs_influx
