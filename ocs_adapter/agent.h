// The OCS agent protocol of the InfluxDBAgent, as OCS clients see it over
// WAMP (docs/ocs-protocol.md): `<address>.ops` for the one
// process `record`, `<address>` for management queries, and the heartbeat
// feed. Pure: it turns call arguments into the exact replies OCS's Python
// agent gives, asking the core publisher (RecordControl) for the state.
// The WAMP layer carries the replies as ONE positional result.
#ifndef OCS_INFLUX_OCS_ADAPTER_AGENT_H_
#define OCS_INFLUX_OCS_ADAPTER_AGENT_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "ocs_adapter/access_policy.h"
#include "ocs_adapter/record_control.h"
#include "ocs_adapter/reply_builders.h"

namespace ocs_influx::ocs_adapter {

class FeedFilter;

// OCS response codes.
inline constexpr int kOk = 0;
inline constexpr int kError = -1;
inline constexpr int kTimeout = 1;

struct AgentIdentity {
  std::string address;           // "<address_root>.<instance-id>"
  std::string agent_class = "InfluxDBAgent";
  std::string hostname;          // instance_hostname in get_api
  int64_t pid = 0;
  std::string agent_session_id;  // the agent's start time, as OCS's str(time)
};

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

class Agent {
 public:
  // `access`: the access policy and rules (OCS access control); null: the
  // policy "none".
  Agent(AgentIdentity identity, RecordControl* control,
        const AdapterCounters* counters, AccessControl* access = nullptr);

  struct OpsOutcome {
    Value reply;  // [status, message, session]
    // A WAMP error instead of a reply (arguments of the wrong shape).
    std::string error_uri;
    std::string error_message;
    // `wait` on a running session: the caller polls PollWait until it
    // answers, at the latest at `wait_deadline`.
    bool pending_wait = false;
    absl::Time wait_deadline = absl::InfiniteFuture();
  };

  // `<address>.ops(action, op_name, params=None, timeout=None, password=)`.
  // `internal`: the agent's own start-up op (OCS's super-user key).
  OpsOutcome Ops(const std::vector<Value>& args, const Value& kwargs, bool internal = false);
  // The reply of a pending wait once the session is done (OK) or `deadline`
  // has passed (TIMEOUT); nullopt while neither.
  std::optional<Value> PollWait(absl::Time deadline);

  // `<address>(q)`: get_api, get_tasks, get_processes, get_feeds,
  // get_agent_class.
  OpsOutcome Management(const std::vector<Value>& args);

  // The heartbeat feed: message {"record": op_code} and its encoded feed.
  Value HeartbeatMessage();
  Value EncodedHeartbeatFeed() const;

 private:
  Value Reply(int code, std::string message, Value session) const;
  Value EncodedSession(const ocs::influx::v1::Status& status) const;
  Value ProcessesList(const std::optional<ocs::influx::v1::Status>& status) const;
  OpsOutcome Start(const Value* params, const Password& password, bool internal);
  OpsOutcome Stop();
  OpsOutcome Wait(const Value* timeout);
  OpsOutcome StatusReply();
  // OCS's access check of start/stop/abort: the ERROR reply (no session)
  // when the caller's level is under the op's minimum, else nullopt and the
  // level in *level.
  std::optional<Value> AccessRefusal(const Password& password, bool internal, int* level) const;
  int SessionCredLevel(int64_t session_id) const;

  const AgentIdentity identity_;
  RecordControl* const control_;
  const AdapterCounters* const counters_;
  int last_op_code_ = 1;
  AccessControl* const access_;
  // The level of the OCS caller who started the session of that id.
  int64_t started_session_id_ = -1;
  int started_cred_level_ = kCredBasic;
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_AGENT_H_
