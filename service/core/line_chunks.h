// The line protocol of one request, in bounded chunks: every chunk ends at
// a line boundary and is cut once it reaches `chunk_bytes` (or a set number
// of lines), so a large request lands as several spool records and is
// never one giant string.
// The whole is bounded too: a request whose lines would pass
// kMaxRequestLineBytes is refused (the encoders check `over_limit()` per
// line, the feed converter before it writes anything).
//
// The buffers are reused across requests (Clear keeps them), so encoding
// allocates nothing once they have their working size. Not thread-safe.
#ifndef OCS_INFLUX_SERVICE_CORE_LINE_CHUNKS_H_
#define OCS_INFLUX_SERVICE_CORE_LINE_CHUNKS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/core/same_bytes.h"

namespace ocs_influx::core {

// At most this much line protocol per request (WriteLines, Write, one
// WriteStream message, IngestFeed with all its feeds). What a 16 MiB gRPC
// message of ordinary points encodes to fits: 1.6 million small ints of an
// OCS feed with the usual names make about 110 MB. An OCS feed repeats its
// measurement and tag per row, so a small one with long names can ask for
// far more; it is refused before it is encoded (publisher.proto,
// docs/hostile-input.md). Holding a request's lines costs this much memory
// at most.
inline constexpr uint64_t kMaxRequestLineBytes = 128ull << 20;
// A chunk is cut at the first line boundary at or past this size.
inline constexpr size_t kLineChunkBytes = 4u << 20;

// "the limit of 134217728 bytes (128 MiB) per request", for error messages.
std::string RequestLimitText(uint64_t limit);

// Consecutive lines of one series in a chunk, as offsets into it: where the
// first begins, the length of their series key, the last one's start and
// the '\n' that ends it, and how many lines.
struct SeriesRun {
  size_t start;
  size_t key_bytes;
  size_t last_start;
  size_t last_end;
  uint32_t points;
};
// Runs recorded per chunk at most: a chunk of more (a request whose lines
// change series every line or so) records none, and who counts points per
// series scans it instead. Bounds the runs kept to this many per chunk.
inline constexpr size_t kMaxRunsPerChunk = 512;

class LineChunks {
 public:
  static constexpr size_t kMinCutShare = 64;

  explicit LineChunks(size_t chunk_bytes = kLineChunkBytes,
                      uint64_t limit = kMaxRequestLineBytes);

  // Empties it, keeping buffers up to a few chunks' worth.
  void Clear();

  // The buffer the next line is appended to; call EndLine after each
  // complete line (ending in '\n'), with the length of its series key
  // (measurement and tags as written, up to the space before the fields).
  std::string* tail() { return &chunks_[used_ - 1]; }
  void EndLine(size_t key_bytes) {
    const size_t i = used_ - 1;
    const std::string& text = chunks_[i];
    // The series runs, while the line is in the cache: this line's key
    // against the first of the run before it.
    if (!runs_overflow_[i]) {
      SeriesRun* run = runs_.size() > run_begin_[i] ? &runs_.back() : nullptr;
      if (run != nullptr && run->key_bytes == key_bytes &&
          line_start_ + key_bytes <= text.size() &&
          SameBytes(text.data() + line_start_, text.data() + run->start, key_bytes)) {
        ++run->points;
        run->last_start = line_start_;
        run->last_end = text.size() - 1;
      } else if (runs_.size() - run_begin_[i] < kMaxRunsPerChunk) {
        runs_.push_back({line_start_, key_bytes, line_start_, text.size() - 1, 1});
      } else {
        runs_overflow_[i] = 1;
      }
    }
    ++points_[i];
    line_start_ = text.size();
    if (text.size() >= chunk_bytes_ ||
        (points_[i] >= max_chunk_points_ && text.size() >= chunk_bytes_ / kMinCutShare)) {
      Cut();
    }
  }
  // A chunk is also cut once it holds `n` lines (at least 1), so that it
  // fits a consumer's records whole (Publisher::max_record_points), if it
  // holds chunk_bytes / kMinCutShare bytes too: however short its lines
  // and small `n`, a request makes at most kMinCutShare chunks per
  // chunk_bytes of lines (a chunk that passes `n` lines for it is cut
  // again by the consumer). Kept by Clear.
  void set_max_chunk_points(uint32_t n) { max_chunk_points_ = n > 0 ? n : 1; }

  uint64_t bytes() const { return done_bytes_ + chunks_[used_ - 1].size(); }
  uint64_t limit() const { return limit_; }
  bool over_limit() const { return bytes() > limit_; }
  // Bytes that may still be added within the limit.
  uint64_t room() const { return over_limit() ? 0 : limit_ - bytes(); }
  uint64_t points() const;

  // Chunks with at least one line, in order.
  size_t size() const {
    return chunks_[used_ - 1].empty() ? used_ - 1 : used_;
  }
  absl::string_view chunk(size_t i) const { return chunks_[i]; }
  uint32_t chunk_points(size_t i) const { return points_[i]; }
  // The series runs of chunk i in order, so that who counts points per
  // series (FeedTracker) need not scan its lines; empty if the chunk holds
  // more than kMaxRunsPerChunk of them (or no line).
  absl::Span<const SeriesRun> chunk_runs(size_t i) const {
    if (runs_overflow_[i]) return {};
    const size_t end = i + 1 < used_ ? run_begin_[i + 1] : runs_.size();
    return absl::MakeConstSpan(runs_.data() + run_begin_[i], end - run_begin_[i]);
  }

  // Everything after a mark can be taken back (a request that fails half
  // way leaves nothing behind).
  struct Mark {
    size_t used;
    size_t tail_bytes;
    uint32_t tail_points;
    uint64_t done_bytes;
    size_t runs;
    SeriesRun last_run;  // runs_[runs - 1] then, which later lines may extend
    uint8_t tail_runs_overflow;
  };
  Mark mark() const {
    return {used_,
            chunks_[used_ - 1].size(),
            points_[used_ - 1],
            done_bytes_,
            runs_.size(),
            runs_.empty() ? SeriesRun{} : runs_.back(),
            runs_overflow_[used_ - 1]};
  }
  void Rollback(const Mark& m);

 private:
  void Cut();

  size_t chunk_bytes_;
  uint32_t max_chunk_points_ = UINT32_MAX;
  uint64_t limit_;
  std::vector<std::string> chunks_;  // [0, used_) in use; the rest spare
  std::vector<uint32_t> points_;     // lines per chunk
  std::vector<SeriesRun> runs_;      // of every chunk in use, in order
  std::vector<size_t> run_begin_;    // per chunk: its first run in runs_
  std::vector<uint8_t> runs_overflow_;  // per chunk: too many runs, none kept
  size_t line_start_ = 0;            // where the tail's next line begins
  size_t used_ = 1;
  uint64_t done_bytes_ = 0;          // bytes of chunks before the tail
};

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_LINE_CHUNKS_H_
