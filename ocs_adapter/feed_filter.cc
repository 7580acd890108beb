#include "ocs_adapter/feed_filter.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ocs_influx::ocs_adapter {

bool GlobMatch(absl::string_view pattern, absl::string_view text, size_t* steps) {
  // Greedy, remembering only the last '*': when the rest fails, that star
  // takes one more byte. Earlier stars never need to take more, because
  // whatever the later segments matched can also be matched further right
  // by the last star. So each text byte is revisited at most once per
  // pattern byte: O(|pattern| * |text|).
  constexpr size_t kNone = absl::string_view::npos;
  size_t p = 0, t = 0, star = kNone, resume = 0, examined = 0;
  while (t < text.size()) {
    ++examined;
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (star != kNone) {
      p = star + 1;
      t = ++resume;
    } else {
      break;
    }
  }
  if (steps != nullptr) *steps += examined;
  if (t < text.size()) return false;
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

absl::StatusOr<std::vector<std::string>> ParseFeedPatterns(absl::string_view flag,
                                                           absl::string_view list) {
  std::vector<std::string> patterns;
  if (absl::StripAsciiWhitespace(list).empty()) return patterns;
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": an empty pattern (PATTERN[,PATTERN...])"));
    }
    if (item.size() > kMaxFeedPatternBytes) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": a pattern over ",
                                                     kMaxFeedPatternBytes, " bytes"));
    }
    if (item.find_first_of("[]") != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", flag, ": '", item, "': [ and ] are not supported (only * and ?)"));
    }
    if (patterns.size() == kMaxFeedPatterns) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": more than ", kMaxFeedPatterns, " patterns"));
    }
    patterns.emplace_back(item);
  }
  return patterns;
}

FeedFilter::FeedFilter(std::vector<std::string> feeds, std::vector<std::string> exclude_feeds,
                       size_t max_cached, size_t max_cached_name_bytes)
    : feeds_(std::move(feeds)),
      exclude_feeds_(std::move(exclude_feeds)),
      max_cached_(max_cached),
      max_cached_name_bytes_(max_cached_name_bytes) {}

bool FeedFilter::Verdict(absl::string_view name) const {
  bool included = feeds_.empty();
  for (const std::string& p : feeds_) {
    if (GlobMatch(p, name)) {
      included = true;
      break;
    }
  }
  if (!included) return false;
  for (const std::string& p : exclude_feeds_) {
    if (GlobMatch(p, name)) return false;
  }
  return true;
}

bool FeedFilter::Admit(absl::string_view agent_address, absl::string_view feed_name,
                       uint64_t points) {
  if (!active()) return true;
  bool admit;
  {
    absl::MutexLock lock(&mu_);
    name_.clear();
    absl::StrAppend(&name_, agent_address, ".", feed_name);
    if (auto it = cache_.find(name_); it != cache_.end()) {
      admit = it->second;
    } else {
      admit = Verdict(name_);
      if (name_.size() <= max_cached_name_bytes_) {
        // Emptied rather than evicted one by one: a site has far fewer
        // feeds than the bound, so only a flood of made-up names gets here.
        if (cache_.size() >= max_cached_) cache_.clear();
        cache_.emplace(name_, admit);
      }
    }
  }
  if (!admit) {
    publications_skipped_.fetch_add(1, std::memory_order_relaxed);
    points_skipped_.fetch_add(points, std::memory_order_relaxed);
  }
  return admit;
}

size_t FeedFilter::cached() const {
  absl::MutexLock lock(&mu_);
  return cache_.size();
}

}  // namespace ocs_influx::ocs_adapter
