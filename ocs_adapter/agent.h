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
#include "ocs_adapter/ingest_counters.h"
#include "ocs_adapter/record_control.h"
#include "ocs_adapter/reply_builders.h"

namespace ocs_influx::ocs_adapter {

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
