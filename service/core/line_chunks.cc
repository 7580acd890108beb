#include "service/core/line_chunks.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ocs_influx::core {
namespace {

// A thread that once saw a large request keeps no more than this.
constexpr size_t kRetainedChunks = 4;

}  // namespace

std::string RequestLimitText(uint64_t limit) {
  return absl::StrCat(
      "the limit of ", limit, " bytes",
      limit >= (1u << 20) ? absl::StrCat(" (", limit >> 20, " MiB)") : "",
      " per request");
}

LineChunks::LineChunks(size_t chunk_bytes, uint64_t limit)
    : chunk_bytes_(chunk_bytes),
      limit_(limit),
      chunks_(1),
      points_(1, 0),
      run_begin_(1, 0),
      runs_overflow_(1, 0) {}

void LineChunks::Clear() {
  if (chunks_.size() > kRetainedChunks) {
    chunks_.resize(kRetainedChunks);
    points_.resize(kRetainedChunks);
    run_begin_.resize(kRetainedChunks);
    runs_overflow_.resize(kRetainedChunks);
  }
  runs_.clear();
  run_begin_[0] = 0;
  for (size_t i = 0; i < chunks_.size(); ++i) {
    chunks_[i].clear();
    // One line may take a chunk far past its size; do not keep that.
    if (chunks_[i].capacity() > 2 * chunk_bytes_) chunks_[i].shrink_to_fit();
    points_[i] = 0;
    runs_overflow_[i] = 0;
  }
  used_ = 1;
  done_bytes_ = 0;
  line_start_ = 0;
}

uint64_t LineChunks::points() const {
  uint64_t n = 0;
  for (size_t i = 0; i < used_; ++i) n += points_[i];
  return n;
}

void LineChunks::Cut() {
  const size_t cut_bytes = chunks_[used_ - 1].size();
  done_bytes_ += cut_bytes;
  if (used_ == chunks_.size()) {
    chunks_.emplace_back();
    points_.push_back(0);
    run_begin_.push_back(0);
    runs_overflow_.push_back(0);
    // Grows once to its working size instead of doubling its way there:
    // chunk_bytes, or less when chunks are cut by their lines (short lines
    // must not reserve a few MiB per chunk each).
    const size_t working = std::min(chunk_bytes_, cut_bytes);
    chunks_.back().reserve(working + (working >> 4));
  }
  ++used_;
  chunks_[used_ - 1].clear();
  points_[used_ - 1] = 0;
  run_begin_[used_ - 1] = runs_.size();
  runs_overflow_[used_ - 1] = 0;
  line_start_ = 0;
}

void LineChunks::Rollback(const Mark& m) {
  used_ = m.used;
  chunks_[used_ - 1].resize(m.tail_bytes);
  points_[used_ - 1] = m.tail_points;
  runs_.resize(m.runs);
  if (m.runs > 0) runs_.back() = m.last_run;
  runs_overflow_[used_ - 1] = m.tail_runs_overflow;
  done_bytes_ = m.done_bytes;
  line_start_ = m.tail_bytes;
}

}  // namespace ocs_influx::core
