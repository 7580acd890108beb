// OCS access control (ocs/access.py, simonsobs/ocs PR #427), the agent's
// side: the policy of --access-policy (or the hub's access_policy), the
// rules the Access Director distributes, and the credential level they give
// a caller's password. Pure and single-threaded (AccessControl, below, is
// the shared, locked holder); its input (the director's messages) is
// hostile: decoded with bounds, and a message that is not entirely valid
// changes nothing.
//
// What OCS's code does, ported exactly (docs/deploy.md "Access control"
// names what is inferred where the final ocs_agent.py is not public):
//  - policies: "none" (and "": level 1 for everyone), "override:PW2,PW3"
//    (level 1 free, 2 and 3 by clear-text password), "director:ID" (every
//    level blocked until the director at <root>.<ID> sends rules; "director:"
//    means ID "access-director");
//  - a caller's level: the highest level of the rules in scope whose hashed
//    password matches, then lowered one step at a time while that level is
//    locked out by a rule in scope whose password did NOT match (an
//    exclusive-access grant held by someone else); the agent itself (its
//    --initial-state start) is the super-user, level 4, except under "none";
//  - passwords: "none" (clear text), "md5" (first 16 hex digits of the MD5 of
//    the UTF-8 password), "blocked" (never); an empty stored value matches
//    any password;
//  - scopes: default, or agent_class / instance_id patterns: comma-separated
//    fnmatch globs (*, ?, [seq], [!seq]; case-sensitive, byte-wise), a
//    leading ! excludes.
#ifndef OCS_INFLUX_OCS_ADAPTER_ACCESS_POLICY_H_
#define OCS_INFLUX_OCS_ADAPTER_ACCESS_POLICY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ocs_adapter/reply_builders.h"

namespace ocs_influx::ocs_adapter {

// OCS's CredLevel.
inline constexpr int kCredBlocked = 0;
inline constexpr int kCredBasic = 1;
inline constexpr int kCredAdvanced = 2;
inline constexpr int kCredFull = 3;
inline constexpr int kCredSuperuser = 4;
// access.AC_VERSION: the protocol version of the director's messages and of
// get_api's access_control.
inline constexpr int kAcVersion = 1;

// Bounds on a director's message (hostile input). OCS's director sends one
// rule per password level and entry plus one per grant item: a few dozen.
inline constexpr size_t kMaxAccessRules = 1024;
inline constexpr size_t kMaxAccessStringBytes = 1024;
inline constexpr size_t kMaxLockoutLevels = 8;

// "1-BASIC", as str(CredLevel(1)); "<n>-UNKNOWN" outside 0..4.
std::string CredLevelName(int level);

// hashlib.md5(text.encode('utf-8')).hexdigest()[:16].
std::string Md5Prefix16(absl::string_view text);

// fnmatch.fnmatchcase(name, pattern), byte-wise.
bool FnMatch(absl::string_view name, absl::string_view pattern);
// access.pattern_match: comma-separated globs, "!" excludes. A target
// holding ',' or '!' (which OCS asserts against) matches nothing.
bool PatternMatch(absl::string_view target, absl::string_view pattern);

struct AgentSpec {
  std::string instance_id;
  std::string agent_class;
};

// What the caller sent as `password`: absent or None, a string, or some
// other value (which a hashed rule never matches; OCS would fail on it).
struct Password {
  enum class Kind { kNone, kString, kOther };
  Kind kind = Kind::kNone;
  std::string text;

  static Password FromValue(const Value* v);
};

struct HashedPass {
  std::string hash = "none";  // none, md5, blocked
  std::string value;
  bool Check(const Password& password) const;
};

struct ScopeSpec {
  bool is_default = false;
  std::optional<std::string> agent_class;
  std::optional<std::string> instance_id;
  bool Check(const AgentSpec& agent) const;
};

struct AccessRule {
  HashedPass hashed_pass;
  int cred_level = 0;
  ScopeSpec scope;
  std::optional<std::string> lockout_id;
  std::optional<std::string> lockout_owner;
  std::vector<int> lockout_levels;
};

struct Creds {
  int level = 0;
  std::string detail;  // "Privileges diminished; lockouts active: [...]" or ""
};

class AccessPolicy {
 public:
  AccessPolicy();  // "none"

  // access.agent_get_policy_default. The error never quotes a password.
  static absl::StatusOr<AccessPolicy> Parse(absl::string_view text);

  // "none", "override" or "director".
  const std::string& name() const { return name_; }
  const std::string& director_id() const { return director_id_; }
  const std::vector<AccessRule>& rules() const { return rules_; }
  void ReplaceRules(std::vector<AccessRule> rules) { rules_ = std::move(rules); }

  // access.agent_get_creds; `internal`: the agent's own start-up op (the
  // super-user key).
  Creds GetCreds(const Password& password, bool internal, const AgentSpec& agent) const;

 private:
  std::string name_;
  std::string director_id_;
  std::vector<AccessRule> rules_;
};

// access.agent_rejection_message.
std::string RejectionMessage(int level, int required, absl::string_view detail);

// A message of the director's `controls` feed. Reset: {"reset": true,
// "ac_version": 1, "rules": [...]}, every rule (each agent checks scopes);
// targeted (its answer to agent_poll): {"target": instance_id,
// "ac_version": 1, "rules": [...]}.
//  - OK with rules: replace the agent's rules with them;
//  - OK with nullopt: not for this agent (targeted at another one);
//  - an error (wrong shape, unknown ac_version, hash or level, over a
//    bound): the message changes nothing.
absl::StatusOr<std::optional<std::vector<AccessRule>>> DecodeRulesMessage(const Value& message,
                                                                          const AgentSpec& self);

// The agent's access state, shared by the thread that answers ops (reads)
// and the WAMP I/O thread that takes the director's messages (writes).
class AccessControl {
 public:
  AccessControl(AccessPolicy policy, AgentSpec agent);

  bool director() const { return director_; }
  const std::string& director_id() const { return director_id_; }
  const AgentSpec& agent() const { return agent_; }

  Creds GetCreds(const Password& password, bool internal) const;
  // Applies a decoded `controls` message at `now`; false when it was not for
  // this agent. An error changes nothing.
  absl::StatusOr<bool> ApplyMessage(const Value& message, absl::Time now);
  // get_api's access_control: {version, policy, update_timestamp,
  // update_count, step}.
  Value ApiValue() const;

 private:
  const AgentSpec agent_;
  const bool director_;
  const std::string director_id_;
  mutable absl::Mutex mu_;
  AccessPolicy policy_ ABSL_GUARDED_BY(mu_);
  absl::Time updated_ ABSL_GUARDED_BY(mu_) = absl::UnixEpoch();
  int64_t update_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_ACCESS_POLICY_H_
