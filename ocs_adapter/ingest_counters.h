// What the adapter counts of the publications it receives, refuses and
// hands to the publisher: written by the WAMP thread, the ingest sender and
// the dead-letter writer, read by the agent for the record session's data.
#ifndef OCS_INFLUX_OCS_ADAPTER_INGEST_COUNTERS_H_
#define OCS_INFLUX_OCS_ADAPTER_INGEST_COUNTERS_H_

#include <atomic>
#include <cstdint>

namespace ocs_influx::ocs_adapter {

class FeedFilter;

// Why the adapter refused a publication (dead-lettered, counted per reason
// in the session data as data.publications_refused).
enum class Refusal : int {
  kMalformed = 0,     // not an OCS publication (decoding failed)
  kNameTooLong,       // a name over InfluxDB's 64 KiB limit
  kTooLarge,          // encoded size over the bound, or a row over a call
  kQueueFull,         // the ingest queue is full (points or bytes)
  kPublisherRefused,  // the publisher answered INVALID_ARGUMENT
  kCount,
};
const char* RefusalName(Refusal reason);

// Counted by the adapter itself, shown in the session data.
struct AdapterCounters {
  std::atomic<uint64_t> publications_refused[static_cast<int>(Refusal::kCount)] = {};
  // Dead letters not written: the file is at its size bound, or unwritable.
  std::atomic<uint64_t> dead_letters_not_written{0};
  std::atomic<uint64_t> events_received{0};
  std::atomic<uint64_t> events_malformed{0};
  std::atomic<uint64_t> events_skipped{0};  // record false / exclude_influx
  std::atomic<uint64_t> points_not_recording{0};
  std::atomic<uint64_t> points_refused{0};  // spool full, invalid
  // The ingest sender is retrying a call the publisher does not take now
  // (unavailable, or its spool full): points wait in the bounded queue.
  std::atomic<bool> publisher_waiting{false};
  // --feeds / --exclude-feeds, shown with what it skipped (null: none).
  const FeedFilter* feed_filter = nullptr;
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_INGEST_COUNTERS_H_
