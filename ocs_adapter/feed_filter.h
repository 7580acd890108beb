// Which feeds this adapter records, so that several publishers can share a
// site: --feeds PATTERN[,PATTERN] and --exclude-feeds PATTERN[,...], globs
// over "<agent_address>.<feed_name>" (observatory.lakeshore*.*,
// *.detector_temps). A feed is recorded when it matches one --feeds pattern
// (or --feeds is empty) and no --exclude-feeds pattern.
//
// Glob: '*' is any run of bytes, dots included; '?' one byte; everything
// else is itself. Character classes are refused rather than read literally,
// since fnmatch users would expect them to work.
//
// Feed names come from the network: a verdict is computed once per name and
// cached, the cache is bounded in entries and in key size (past the bound it
// is emptied, so a stream of fresh names costs a match each, never memory),
// and the matcher is O(|pattern| * |name|), no backtracking blow-up.
#ifndef OCS_INFLUX_OCS_ADAPTER_FEED_FILTER_H_
#define OCS_INFLUX_OCS_ADAPTER_FEED_FILTER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace ocs_influx::ocs_adapter {

inline constexpr size_t kMaxFeedPatterns = 256;
inline constexpr size_t kMaxFeedPatternBytes = 1024;

// `steps`, if given, receives the number of text bytes examined (tests).
bool GlobMatch(absl::string_view pattern, absl::string_view text, size_t* steps = nullptr);

// A comma-separated list (blanks around items ignored; "" is no pattern).
// Errors name --<flag>.
absl::StatusOr<std::vector<std::string>> ParseFeedPatterns(absl::string_view flag,
                                                           absl::string_view list);

class FeedFilter {
 public:
  FeedFilter(std::vector<std::string> feeds, std::vector<std::string> exclude_feeds,
             size_t max_cached = 4096, size_t max_cached_name_bytes = 512);
  FeedFilter(const FeedFilter&) = delete;
  FeedFilter& operator=(const FeedFilter&) = delete;

  // Whether to record this feed; a refusal counts the publication and its
  // `points` as skipped.
  bool Admit(absl::string_view agent_address, absl::string_view feed_name, uint64_t points);

  bool active() const { return !feeds_.empty() || !exclude_feeds_.empty(); }
  const std::vector<std::string>& feeds() const { return feeds_; }
  const std::vector<std::string>& exclude_feeds() const { return exclude_feeds_; }
  uint64_t publications_skipped() const {
    return publications_skipped_.load(std::memory_order_relaxed);
  }
  uint64_t points_skipped() const { return points_skipped_.load(std::memory_order_relaxed); }
  size_t cached() const;

 private:
  bool Verdict(absl::string_view name) const;

  const std::vector<std::string> feeds_;
  const std::vector<std::string> exclude_feeds_;
  const size_t max_cached_;
  const size_t max_cached_name_bytes_;
  std::atomic<uint64_t> publications_skipped_{0};
  std::atomic<uint64_t> points_skipped_{0};

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, bool> cache_ ABSL_GUARDED_BY(mu_);
  std::string name_ ABSL_GUARDED_BY(mu_);  // reused: no allocation per event
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_FEED_FILTER_H_
