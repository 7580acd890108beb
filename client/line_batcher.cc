#include "client/line_batcher.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ocs_influx::client {

LineBatcher::LineBatcher(std::istream* in, size_t max_lines, size_t max_bytes,
                         size_t read_chunk_bytes)
    : in_(in),
      max_lines_(std::max<size_t>(max_lines, 1)),
      max_bytes_(std::max<size_t>(max_bytes, 2)),
      read_chunk_bytes_(std::max<size_t>(read_chunk_bytes, 1)) {}

absl::Status LineBatcher::Refill() {
  chunk_.resize(read_chunk_bytes_);
  in_->read(chunk_.data(), static_cast<std::streamsize>(chunk_.size()));
  chunk_.resize(static_cast<size_t>(in_->gcount()));
  chunk_pos_ = 0;
  if (in_->bad()) {
    return absl::DataLossError(
        absl::StrCat("read error after line ", lines_read_));
  }
  if (!*in_) input_ended_ = true;
  return absl::OkStatus();
}

absl::StatusOr<bool> LineBatcher::ReadLine() {
  line_.clear();
  bool consumed_any = false;
  bool found_newline = false;
  while (!found_newline) {
    if (chunk_pos_ == chunk_.size()) {
      if (input_ended_) break;
      if (absl::Status s = Refill(); !s.ok()) return s;
      continue;
    }
    consumed_any = true;
    const char* start = chunk_.data() + chunk_pos_;
    size_t available = chunk_.size() - chunk_pos_;
    const char* newline =
        static_cast<const char*>(std::memchr(start, '\n', available));
    size_t length = newline != nullptr ? newline - start : available;
    line_.append(start, length);
    chunk_pos_ += length;
    if (newline != nullptr) {
      ++chunk_pos_;
      found_newline = true;
    }
    // One byte of slack for a "\r" about to be dropped; the exact check
    // follows once the line is whole.
    if (line_.size() > max_bytes_) break;
  }
  if (!consumed_any) return false;
  ++lines_read_;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  // The batch adds a "\n" after each line.
  if (line_.size() + 1 > max_bytes_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", lines_read_, " is longer than one message may carry (",
        max_bytes_ - 1, " bytes); lines are never split"));
  }
  return true;
}

absl::StatusOr<bool> LineBatcher::Next(LineBatch* batch) {
  batch->text.clear();
  batch->line_count = 0;
  batch->first_line = 0;
  batch->last_line = 0;
  if (!deferred_error_.ok()) return deferred_error_;
  while (batch->line_count < max_lines_) {
    if (!line_pending_) {
      absl::StatusOr<bool> read = ReadLine();
      if (!read.ok()) {
        // The lines before the bad one are good and go out first.
        if (batch->line_count == 0) return read.status();
        deferred_error_ = read.status();
        break;
      }
      if (!*read) break;
    }
    if (batch->text.size() + line_.size() + 1 > max_bytes_) {
      line_pending_ = true;
      break;
    }
    line_pending_ = false;
    if (batch->line_count == 0) batch->first_line = lines_read_;
    batch->last_line = lines_read_;
    ++batch->line_count;
    batch->text.append(line_);
    batch->text.push_back('\n');
  }
  return batch->line_count > 0;
}

}  // namespace ocs_influx::client
