// Cuts a stream of line protocol into WriteLinesRequest-sized batches,
// reading only as far as the next batch needs.
#ifndef OCS_INFLUX_CLIENT_LINE_BATCHER_H_
#define OCS_INFLUX_CLIENT_LINE_BATCHER_H_

#include <cstdint>
#include <istream>
#include <string>

#include "absl/status/statusor.h"

namespace ocs_influx::client {

// gRPC servers refuse messages over 4 MiB by default; this leaves room for
// the rest of the message and for a line that ends a batch.
inline constexpr size_t kMaxBatchBytes = size_t{3} << 20;

struct LineBatch {
  // Whole lines, each ending in "\n" (a "\r\n" ending becomes "\n").
  std::string text;
  uint64_t line_count = 0;
  // 1-based line numbers in the input, for error messages.
  uint64_t first_line = 0;
  uint64_t last_line = 0;
};

class LineBatcher {
 public:
  // A batch holds at most `max_lines` lines and `max_bytes` bytes of text.
  // The input is read `read_chunk_bytes` at a time, so memory stays bounded
  // even by a file without a single newline.
  LineBatcher(std::istream* in, size_t max_lines, size_t max_bytes,
              size_t read_chunk_bytes = size_t{64} << 10);

  // Fills `batch` with the next lines; false at the end of the input. A line
  // longer than `max_bytes` is an error (INVALID_ARGUMENT naming its line
  // number), since lines are never split; so is a failed read (DATA_LOSS).
  // The error comes after a last batch of the lines before it.
  absl::StatusOr<bool> Next(LineBatch* batch);

  uint64_t lines_read() const { return lines_read_; }

 private:
  // Reads one line into `line_` without its ending; false at the end.
  absl::StatusOr<bool> ReadLine();
  absl::Status Refill();

  std::istream* in_;
  size_t max_lines_;
  size_t max_bytes_;
  size_t read_chunk_bytes_;
  std::string chunk_;
  size_t chunk_pos_ = 0;
  bool input_ended_ = false;
  std::string line_;
  // The line read last did not fit the previous batch and opens the next.
  bool line_pending_ = false;
  uint64_t lines_read_ = 0;
  absl::Status deferred_error_;
};

}  // namespace ocs_influx::client

#endif  // OCS_INFLUX_CLIENT_LINE_BATCHER_H_
