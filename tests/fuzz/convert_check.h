// What every feed-conversion fuzz target asserts once a publication has
// been read into an OcsFeed, converted the way IngestFeed converts it: into
// bounded chunks (core::LineChunks) under a per-request limit, after what
// the request already holds (a feed may follow others in one call).
//   - A failed conversion leaves nothing behind.
//   - A successful one gives one line per point, each ending in '\n' and
//     accepted by our line-protocol parser (InfluxDB's grammar); chunks end
//     at line boundaries and are cut once they reach their size; the total
//     stays within the limit and within EncodedSizeBound, the bound a
//     client splits publications by.
//   - The one-string path writes the same bytes.
// The limit here is smaller than kMaxRequestLineBytes (limits_test checks
// that one): the properties are the same, and a run that reaches the limit
// stays quick enough that libFuzzer's -timeout and -rss_limit_mb flag only
// work that grows faster than the input.
#ifndef OCS_INFLUX_TESTS_FUZZ_CONVERT_CHECK_H_
#define OCS_INFLUX_TESTS_FUZZ_CONVERT_CHECK_H_

#include <cstdlib>
#include <string>

#include "proto/publisher.pb.h"
#include "service/core/feed_convert.h"
#include "service/core/line_chunks.h"
#include "service/core/line_parser.h"

namespace ocs_influx::fuzz {

inline constexpr size_t kFuzzChunkBytes = 16 * 1024;
inline constexpr uint64_t kFuzzRequestLimit = 8u << 20;

inline std::string JoinChunks(const core::LineChunks& chunks) {
  std::string all;
  for (size_t i = 0; i < chunks.size(); ++i) {
    all.append(chunks.chunk(i).data(), chunks.chunk(i).size());
  }
  return all;
}

// Checks every line and every cut of `chunks`.
inline void CheckLinesOrAbort(const core::LineChunks& chunks, uint64_t points_before) {
  core::ParsedPoint point;
  uint64_t lines = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    absl::string_view c = chunks.chunk(i);
    if (c.empty() || c.back() != '\n') abort();  // cut mid-line
    size_t pos = 0, last_line_start = 0;
    uint64_t in_chunk = 0;
    while (pos < c.size()) {
      size_t end = c.find('\n', pos);
      if (!core::ParseLine(c.substr(pos, end - pos), &point).ok()) abort();
      last_line_start = pos;
      ++in_chunk;
      pos = end + 1;
    }
    if (in_chunk != chunks.chunk_points(i)) abort();
    // Cut at the first line boundary at or past the size.
    if (last_line_start >= kFuzzChunkBytes) abort();
    if (i + 1 < chunks.size() && c.size() < kFuzzChunkBytes) abort();
    lines += in_chunk;
  }
  if (lines != chunks.points() || lines < points_before) abort();
}

inline void ConvertAndCheckOrAbort(const ocs::influx::v1::OcsFeed& feed) {
  core::FeedConverter converter;
  core::LineChunks chunks(kFuzzChunkBytes, kFuzzRequestLimit);
  core::EncodeResult result;
  // Twice, as one request whose feeds are this feed twice.
  for (int round = 0; round < 2; ++round) {
    const std::string before = JoinChunks(chunks);
    const uint64_t points_before = chunks.points();
    const uint64_t result_before = result.points;
    absl::Status s = converter.Convert(feed, &chunks, &result);
    if (!s.ok()) {
      if (s.message().empty() || JoinChunks(chunks) != before) abort();
      if (chunks.points() != points_before || result.points != result_before) abort();
      return;
    }
    if (chunks.bytes() > chunks.limit()) abort();
    CheckLinesOrAbort(chunks, points_before);
    if (chunks.points() - points_before != result.points - result_before) abort();
    const std::string all = JoinChunks(chunks);
    if (all.compare(0, before.size(), before) != 0) abort();
    absl::StatusOr<uint64_t> bound = converter.EncodedSizeBound(feed);
    if (!bound.ok() || all.size() - before.size() > *bound) abort();
    if (round == 0) {
      std::string one;
      core::EncodeResult one_result;
      if (!converter.Convert(feed, &one, &one_result).ok() || one != all) abort();
      if (one_result.points != result.points - result_before) abort();
    }
  }
}

}  // namespace ocs_influx::fuzz

#endif  // OCS_INFLUX_TESTS_FUZZ_CONVERT_CHECK_H_
