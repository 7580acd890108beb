// Publications the adapter refuses (malformed, over a bound, refused by the
// publisher) go to a dead-letter file, one JSON line each:
//   {"time": 1700000000.5, "reason": "name_too_long", "detail": "...",
//    "truncated": false, "publication": [message, feed]}
// so that nothing is dropped silently; each is counted per reason
// (AdapterCounters::publications_refused) and logged, at most one line per
// 10 s with the counts since the last one.
//
// Bounded, so that a flood cannot fill the disk or stall the WAMP thread:
// strings are cut to 4 KiB and a record to 1 MiB (marked "truncated"), and
// past the file's size bound nothing more is written, only counted
// (dead_letters_not_written). The work per refusal is bounded likewise: the
// publication is rendered until the record's bound, no further.
#ifndef OCS_INFLUX_OCS_ADAPTER_DEAD_LETTERS_H_
#define OCS_INFLUX_OCS_ADAPTER_DEAD_LETTERS_H_

#include <cstdint>
#include <string>

#include <msgpack.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/fd/fd.h"
#include "ocs_adapter/ingest_counters.h"
#include "proto/publisher.pb.h"

namespace ocs_influx::ocs_adapter {

struct DeadLetterOptions {
  std::string path;  // empty: counted and logged, not written
  uint64_t max_file_bytes = 64ull << 20;
  size_t max_record_bytes = 1u << 20;
  size_t max_string_bytes = 4096;
};

class DeadLetters {
 public:
  DeadLetters(DeadLetterOptions options, AdapterCounters* counters);
  DeadLetters(const DeadLetters&) = delete;
  DeadLetters& operator=(const DeadLetters&) = delete;

  // From any thread. `publication` may be null (an event without arguments).
  void Refuse(Refusal reason, absl::string_view detail, const msgpack::object* publication);
  void Refuse(Refusal reason, absl::string_view detail, const ocs::influx::v1::OcsFeed& feed);
  // `publication`: the bytes of one MessagePack object (an EVENT's argument).
  void RefuseMsgpack(Refusal reason, absl::string_view detail, absl::string_view publication);

 private:
  // Counts and logs; false when the record is not to be written.
  bool Count(Refusal reason, absl::string_view detail);
  void WritePublication(Refusal reason, absl::string_view detail,
                        const msgpack::object* publication);
  void Write(Refusal reason, absl::string_view detail, const std::string& publication,
             bool truncated);

  const DeadLetterOptions options_;
  AdapterCounters* const counters_;
  absl::Mutex mu_;
  fd::UniqueFd fd_ ABSL_GUARDED_BY(mu_);
  bool open_failed_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t file_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_log_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t unlogged_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_DEAD_LETTERS_H_
