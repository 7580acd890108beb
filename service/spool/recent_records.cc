#include "service/spool/recent_records.h"

#include <algorithm>
#include <tuple>

namespace ocs_influx::spool {

char* RecentRecords::Reserve(size_t bytes) {
  if (capacity_ == 0 || bytes > capacity_ / 2) return nullptr;
  if (buffer_ == nullptr) buffer_ = std::make_unique<char[]>(capacity_);
  for (;;) {
    if (entries_.empty()) return buffer_.get();
    const absl::string_view oldest = entries_.front().record.lines;
    const absl::string_view newest = entries_.back().record.lines;
    const size_t front = oldest.data() - buffer_.get();
    const size_t back_end = newest.data() + newest.size() - buffer_.get();
    if (front <= static_cast<size_t>(newest.data() - buffer_.get())) {
      // Not wrapped: free after the newest entry, or else before the oldest.
      if (capacity_ - back_end >= bytes) return buffer_.get() + back_end;
      if (front >= bytes) return buffer_.get();
    } else if (front - back_end > bytes) {
      // Wrapped: free between the newest and the oldest. Strictly more than
      // needed, so that the newest entry always begins before the oldest
      // (even an empty one): that is how a wrap is told apart.
      return buffer_.get() + back_end;
    }
    if (entries_.front().record.seq >= pinned_from_seq_) return nullptr;
    entries_.pop_front();
  }
}

const RecentRecords::Entry* RecentRecords::Find(uint64_t name_seq, uint64_t offset) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), std::make_tuple(name_seq, offset),
                             [](const Entry& e, const std::tuple<uint64_t, uint64_t>& at) {
                               return std::make_tuple(e.name_seq, e.offset) < at;
                             });
  if (it == entries_.end() || it->name_seq != name_seq || it->offset != offset) return nullptr;
  return &*it;
}

}  // namespace ocs_influx::spool
