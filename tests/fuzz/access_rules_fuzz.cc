// libFuzzer target: a message on the Access Director's controls feed (as
// JSON; the adapter decodes MessagePack into the same values), a caller's
// password and an --access-policy text, all of any bytes. Input: the first
// line is the policy text, the second the password, the rest the message.
// Never a crash; a refused message changes no caller's level nor the
// update count; an applied one gives levels in 0..4; GetCreds of the agent
// itself is 4; the policy text parses or is an error with a message.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "ocs_adapter/access_policy.h"
#include "service/core/json.h"

namespace {

using namespace ocs_influx::ocs_adapter;

const Value& GoodReset() {
  static const Value v = *ocs_influx::core::ParseJson(
      R"({"reset": true, "ac_version": 1, "rules": [)"
      R"({"hashed_pass": {"hash": "none", "value": ""}, "cred_level": 1},)"
      R"({"hashed_pass": {"hash": "md5", "value": "0cc175b9c0f1b6a8"}, "cred_level": 2},)"
      R"({"hashed_pass": {"hash": "none", "value": "g"}, "cred_level": 3,)"
      R"( "scope_spec": {"agent_class": "Influx*,!X", "instance_id": "influx[a-z]*"},)"
      R"( "lockout_id": "grant", "lockout_owner": "me", "lockout_levels": [1, 2]}]})");
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nl1 = in.find('\n');
  const absl::string_view policy_text = in.substr(0, nl1);
  absl::string_view rest = nl1 == absl::string_view::npos ? "" : in.substr(nl1 + 1);
  const size_t nl2 = rest.find('\n');
  const std::string password(rest.substr(0, nl2));
  const absl::string_view message = nl2 == absl::string_view::npos ? "" : rest.substr(nl2 + 1);

  absl::StatusOr<AccessPolicy> parsed = AccessPolicy::Parse(policy_text);
  if (!parsed.ok() && parsed.status().message().empty()) abort();
  if (parsed.ok() && parsed->name() != "none" && parsed->name() != "override" &&
      parsed->name() != "director") {
    abort();
  }
  (void)PatternMatch("influxagent", password);
  (void)FnMatch(password, policy_text);

  AccessControl ac(*AccessPolicy::Parse("director:access-dir"), {"influxagent", "InfluxDBAgent"});
  if (!ac.ApplyMessage(GoodReset(), absl::Now()).ok()) abort();
  const Password probes[] = {{Password::Kind::kNone, ""},
                             {Password::Kind::kString, "a"},
                             {Password::Kind::kString, "g"},
                             {Password::Kind::kOther, ""},
                             {Password::Kind::kString, password}};
  int before[5];
  for (int i = 0; i < 5; ++i) before[i] = ac.GetCreds(probes[i], false).level;
  absl::StatusOr<Value> value = ocs_influx::core::ParseJson(message);
  if (!value.ok()) return 0;
  absl::StatusOr<bool> applied = ac.ApplyMessage(*value, absl::Now());
  const int64_t count = ac.ApiValue().Find("update_count")->int_value;
  if (!applied.ok() || !*applied) {
    if (count != 1) abort();
    for (int i = 0; i < 5; ++i) {
      if (ac.GetCreds(probes[i], false).level != before[i]) abort();
    }
  } else if (count != 2) {
    abort();
  }
  for (const Password& p : probes) {
    Creds c = ac.GetCreds(p, false);
    if (c.level < kCredBlocked || c.level > kCredSuperuser) abort();
  }
  if (ac.GetCreds(probes[0], true).level != kCredSuperuser) abort();
  return 0;
}
