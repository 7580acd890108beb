// The agent's side of OCS's Access Director protocol (policy director:ID):
// on every join it subscribes to `<root>.<ID>.feeds.controls` and calls
// `<root>.<ID>.agent_poll(instance_id=, agent_class=)`; the director
// answers the poll with a targeted message on that feed within a second or
// so, and broadcasts a reset to all agents at its own start, on every grant
// acquired, released or expired, and at least once a minute. Until the
// first message the agent's policy blocks every caller.
//
// The feed's events are hostile input (any peer of the realm may publish
// there): each is checked before it is decoded (a rules list over
// kMaxAccessRules is refused unread), a message that is not entirely valid
// changes nothing, and refusals are logged at most once per
// kRefusalLogInterval (the others counted into the next line). A log line
// never holds a rule's value (a "none" hash is a clear-text password).
#ifndef OCS_INFLUX_OCS_ADAPTER_DIRECTOR_CLIENT_H_
#define OCS_INFLUX_OCS_ADAPTER_DIRECTOR_CLIENT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "msgpack.hpp"
#include "ocs_adapter/access_policy.h"
#include "ocs_adapter/wamp_connection.h"

namespace ocs_influx::ocs_adapter {

inline constexpr absl::Duration kRefusalLogInterval = absl::Seconds(10);

class DirectorClient {
 public:
  // `access` must have the director policy and outlive this.
  DirectorClient(AccessControl* access, std::string address_root);

  std::string ControlsTopic() const;
  std::string PollProcedure() const;

  // After each join: subscribe, then poll. A failed poll (no director yet)
  // is logged, not an error: the director's next reset brings the rules.
  absl::Status Join(WampConnection* connection);

  // One event of the controls feed (the I/O thread; bounded work, no
  // blocking but AccessControl's short lock).
  void OnEvent(const msgpack::object& arg0, bool has_arg0);

  uint64_t refused() const {
    absl::MutexLock lock(&mu_);
    return refused_;
  }

 private:
  void Refuse(absl::string_view why);

  AccessControl* const access_;
  const std::string address_root_;
  mutable absl::Mutex mu_;
  uint64_t refused_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t unlogged_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_log_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_DIRECTOR_CLIENT_H_
