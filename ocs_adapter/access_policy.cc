#include "ocs_adapter/access_policy.h"

#include <openssl/evp.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace ocs_influx::ocs_adapter {
namespace {

constexpr const char* kLevelNames[] = {"BLOCKED", "BASIC", "ADVANCED", "FULL", "SUPERUSER"};

AccessRule DefaultRule(std::string hash, std::string value, int level) {
  AccessRule rule;
  rule.hashed_pass.hash = std::move(hash);
  rule.hashed_pass.value = std::move(value);
  rule.cred_level = level;
  rule.scope.is_default = true;
  return rule;
}

// One item of a [...] set at pattern[*i] (just past '['); advances *i past
// the closing ']'. False when the set is not closed: '[' is then a literal,
// as fnmatch.translate makes it.
bool MatchSet(absl::string_view pattern, size_t* i, unsigned char c, bool* matched) {
  size_t j = *i;
  bool negate = false;
  if (j < pattern.size() && pattern[j] == '!') {
    negate = true;
    ++j;
  }
  const size_t first = j;
  // A ']' right after '[' or '[!' is a member.
  if (j < pattern.size() && pattern[j] == ']') ++j;
  while (j < pattern.size() && pattern[j] != ']') ++j;
  if (j >= pattern.size()) return false;
  bool in = false;
  for (size_t k = first; k < j; ++k) {
    unsigned char lo = static_cast<unsigned char>(pattern[k]);
    if (k + 2 < j && pattern[k + 1] == '-') {
      unsigned char hi = static_cast<unsigned char>(pattern[k + 2]);
      // A reversed range is empty (fnmatch drops it).
      if (lo <= c && c <= hi) in = true;
      k += 2;
    } else if (lo == c) {
      in = true;
    }
  }
  *i = j + 1;
  *matched = negate ? !in : in;
  return true;
}

bool IsInt(const Value& v) { return v.type == Value::Type::kInt || v.type == Value::Type::kUint; }

int64_t IntOf(const Value& v) {
  return v.type == Value::Type::kInt ? v.int_value : static_cast<int64_t>(v.uint_value);
}

absl::Status Bad(std::string why) { return absl::InvalidArgumentError(std::move(why)); }

absl::Status OptionalString(const Value& object, const char* key, absl::string_view where,
                            std::optional<std::string>* out) {
  const Value* v = object.Find(key);
  if (v == nullptr || v->type == Value::Type::kNull) return absl::OkStatus();
  if (v->type != Value::Type::kString)
    return Bad(absl::StrCat(where, ".", key, " is not a string"));
  if (v->string_value.size() > kMaxAccessStringBytes) {
    return Bad(absl::StrCat(where, ".", key, " is over ", kMaxAccessStringBytes, " bytes"));
  }
  *out = v->string_value;
  return absl::OkStatus();
}

absl::Status DecodeRule(const Value& v, size_t index, AccessRule* rule) {
  const std::string where = absl::StrCat("rules[", index, "]");
  if (v.type != Value::Type::kObject) return Bad(absl::StrCat(where, " is not a dict"));
  const Value* hp = v.Find("hashed_pass");
  if (hp == nullptr || hp->type != Value::Type::kObject) {
    return Bad(absl::StrCat(where, ".hashed_pass is not a dict"));
  }
  std::optional<std::string> hash, value;
  if (absl::Status s = OptionalString(*hp, "hash", where, &hash); !s.ok()) return s;
  if (absl::Status s = OptionalString(*hp, "value", where, &value); !s.ok()) return s;
  if (!hash.has_value()) return Bad(absl::StrCat(where, ".hashed_pass has no hash"));
  // An unknown hash would fail every check in OCS (KeyError): refused here.
  if (*hash != "none" && *hash != "md5" && *hash != "blocked") {
    return Bad(absl::StrCat(where, " has an unknown hash function"));
  }
  rule->hashed_pass.hash = *hash;
  rule->hashed_pass.value = value.value_or("");
  const Value* level = v.Find("cred_level");
  if (level == nullptr || !IsInt(*level) || IntOf(*level) < kCredBlocked ||
      IntOf(*level) > kCredSuperuser) {
    return Bad(absl::StrCat(where, ".cred_level is not a level 0..4"));
  }
  rule->cred_level = static_cast<int>(IntOf(*level));
  const Value* scope = v.Find("scope_spec");
  if (scope == nullptr || scope->type == Value::Type::kNull) {
    rule->scope.is_default = true;
  } else {
    if (scope->type != Value::Type::kObject) {
      return Bad(absl::StrCat(where, ".scope_spec is not a dict"));
    }
    if (const Value* d = scope->Find("default"); d != nullptr && d->type != Value::Type::kNull) {
      if (d->type != Value::Type::kBool) {
        return Bad(absl::StrCat(where, ".scope_spec.default is not a bool"));
      }
      rule->scope.is_default = d->bool_value;
    }
    if (absl::Status s = OptionalString(*scope, "agent_class", where, &rule->scope.agent_class);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = OptionalString(*scope, "instance_id", where, &rule->scope.instance_id);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = OptionalString(v, "lockout_id", where, &rule->lockout_id); !s.ok()) {
    return s;
  }
  if (absl::Status s = OptionalString(v, "lockout_owner", where, &rule->lockout_owner); !s.ok()) {
    return s;
  }
  if (const Value* levels = v.Find("lockout_levels");
      levels != nullptr && levels->type != Value::Type::kNull) {
    if (levels->type != Value::Type::kArray || levels->items.size() > kMaxLockoutLevels) {
      return Bad(absl::StrCat(where, ".lockout_levels is not a list of at most ", kMaxLockoutLevels,
                              " levels"));
    }
    for (const Value& l : levels->items) {
      if (!IsInt(l) || IntOf(l) < kCredBlocked || IntOf(l) > kCredSuperuser) {
        return Bad(absl::StrCat(where, ".lockout_levels holds something not a level 0..4"));
      }
      rule->lockout_levels.push_back(static_cast<int>(IntOf(l)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string CredLevelName(int level) {
  if (level < kCredBlocked || level > kCredSuperuser) return absl::StrCat(level, "-UNKNOWN");
  return absl::StrCat(level, "-", kLevelNames[level]);
}

std::string Md5Prefix16(absl::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr) != 1 ||
      length < 8) {
    return std::string();  // no rule's value is empty and hashed: matches nothing
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(16);
  for (int i = 0; i < 8; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

bool FnMatch(absl::string_view name, absl::string_view pattern) {
  // Greedy with one backtrack point (the last '*'): O(|name| * |pattern|).
  size_t n = 0, p = 0;
  size_t star_p = absl::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size()) {
      const char pc = pattern[p];
      if (pc == '*') {
        star_p = ++p;
        star_n = n;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++n;
        continue;
      }
      if (pc == '[') {
        size_t after = p + 1;
        bool matched = false;
        if (MatchSet(pattern, &after, static_cast<unsigned char>(name[n]), &matched)) {
          if (matched) {
            p = after;
            ++n;
            continue;
          }
        } else if (name[n] == '[') {
          ++p;
          ++n;
          continue;
        }
      } else if (pc == name[n]) {
        ++p;
        ++n;
        continue;
      }
    }
    if (star_p == absl::string_view::npos) return false;
    p = star_p;
    n = ++star_n;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool PatternMatch(absl::string_view target, absl::string_view pattern) {
  if (target.find_first_of(",!") != absl::string_view::npos) return false;
  bool any_pos = false, pos_matched = false;
  for (absl::string_view sub : absl::StrSplit(pattern, ',')) {
    bool negative = false;
    if (!sub.empty() && sub[0] == '!') {
      negative = true;
      sub.remove_prefix(1);
    }
    if (sub.empty()) continue;
    const bool m = FnMatch(target, sub);
    if (negative) {
      if (m) return false;
    } else {
      any_pos = true;
      pos_matched = pos_matched || m;
    }
  }
  return !any_pos || pos_matched;
}

Password Password::FromValue(const Value* v) {
  Password p;
  if (v == nullptr || v->type == Value::Type::kNull) return p;
  if (v->type == Value::Type::kString) {
    p.kind = Kind::kString;
    p.text = v->string_value;
  } else {
    p.kind = Kind::kOther;
  }
  return p;
}

bool HashedPass::Check(const Password& password) const {
  if (hash == "blocked") return false;
  if (value.empty()) return true;
  if (password.kind == Password::Kind::kOther) return false;
  // None counts as ''.
  const std::string& text = password.text;
  if (hash == "none") return text == value;
  if (hash == "md5") return Md5Prefix16(text) == value;
  return false;
}

bool ScopeSpec::Check(const AgentSpec& agent) const {
  if (is_default) return true;
  if (!agent_class.has_value() && !instance_id.has_value()) return false;
  if (agent_class.has_value() && !PatternMatch(agent.agent_class, *agent_class)) return false;
  if (instance_id.has_value() && !PatternMatch(agent.instance_id, *instance_id)) return false;
  return true;
}

AccessPolicy::AccessPolicy() : name_("none") {
  for (int level : {1, 2, 3}) rules_.push_back(DefaultRule("none", "", level));
}

absl::StatusOr<AccessPolicy> AccessPolicy::Parse(absl::string_view text) {
  if (text.empty() || text == "none") return AccessPolicy();
  const size_t colon = text.find(':');
  if (colon == absl::string_view::npos) {
    // Python's unpacking of split(':', 1) fails here.
    return absl::InvalidArgumentError(
        "--access-policy: expected none, override:PW2,PW3 or director:ID");
  }
  const absl::string_view kind = text.substr(0, colon);
  const absl::string_view args = text.substr(colon + 1);
  AccessPolicy policy;
  policy.rules_.clear();
  if (kind == "director") {
    policy.name_ = "director";
    policy.director_id_ = args.empty() ? "access-director" : std::string(args);
    for (int level : {1, 2, 3}) policy.rules_.push_back(DefaultRule("blocked", "", level));
    return policy;
  }
  if (kind == "override") {
    std::vector<std::string> pws = absl::StrSplit(args, ',');
    if (pws.size() < 2) {
      return absl::InvalidArgumentError(
          "--access-policy override: needs two passwords, override:PW2,PW3");
    }
    policy.name_ = "override";
    policy.rules_.push_back(DefaultRule("none", "", 1));
    policy.rules_.push_back(DefaultRule("none", pws[0], 2));
    policy.rules_.push_back(DefaultRule("none", pws[1], 3));
    return policy;
  }
  return absl::InvalidArgumentError(absl::StrCat("Invalid policy \"", kind, "\""));
}

Creds AccessPolicy::GetCreds(const Password& password, bool internal,
                             const AgentSpec& agent) const {
  if (name_ == "none") return {kCredBasic, ""};
  if (internal) return {kCredSuperuser, ""};
  int level = kCredBlocked;
  bool blocked[kCredSuperuser + 1] = {};
  std::set<std::string> owners;
  for (const AccessRule& rule : rules_) {
    if (!rule.scope.Check(agent)) continue;
    if (rule.hashed_pass.Check(password)) {
      level = std::max(level, rule.cred_level);
    } else if (!rule.lockout_levels.empty()) {
      for (int l : rule.lockout_levels) blocked[l] = true;
      owners.insert(absl::StrCat(rule.lockout_id.value_or("None"), "[",
                                 rule.lockout_owner.value_or("None"), "]"));
    }
  }
  bool diminished = false;
  while (level > kCredBlocked && blocked[level]) {
    --level;
    diminished = true;
  }
  if (!diminished) return {level, ""};
  // Python prints a list of a set (any order); sorted here.
  std::vector<std::string> quoted;
  for (const std::string& o : owners) quoted.push_back(PythonRepr(Str(o)));
  return {level, absl::StrCat("Privileges diminished; lockouts active: [",
                              absl::StrJoin(quoted, ", "), "]")};
}

std::string RejectionMessage(int level, int required, absl::string_view detail) {
  std::string text = absl::StrCat("The action requires credential level ", CredLevelName(required),
                                  " but the client has only level ", CredLevelName(level));
  if (!detail.empty()) absl::StrAppend(&text, " ", detail);
  return text;
}

absl::StatusOr<std::optional<std::vector<AccessRule>>> DecodeRulesMessage(const Value& message,
                                                                          const AgentSpec& self) {
  if (message.type != Value::Type::kObject) return Bad("the message is not a dict");
  if (const Value* target = message.Find("target");
      target != nullptr && target->type != Value::Type::kNull) {
    if (target->type != Value::Type::kString) return Bad("target is not a string");
    if (target->string_value != self.instance_id) {
      return std::optional<std::vector<AccessRule>>();
    }
  }
  const Value* version = message.Find("ac_version");
  if (version == nullptr || !IsInt(*version)) return Bad("no ac_version");
  if (IntOf(*version) != kAcVersion) {
    return Bad(absl::StrCat("ac_version ", IntOf(*version), " is not ", kAcVersion));
  }
  const Value* rules = message.Find("rules");
  if (rules == nullptr || rules->type != Value::Type::kArray) return Bad("no list of rules");
  if (rules->items.size() > kMaxAccessRules) {
    return Bad(absl::StrCat(rules->items.size(), " rules; at most ", kMaxAccessRules));
  }
  std::vector<AccessRule> out(rules->items.size());
  for (size_t i = 0; i < rules->items.size(); ++i) {
    if (absl::Status s = DecodeRule(rules->items[i], i, &out[i]); !s.ok()) return s;
  }
  return std::optional<std::vector<AccessRule>>(std::move(out));
}

AccessControl::AccessControl(AccessPolicy policy, AgentSpec agent)
    : agent_(std::move(agent)),
      director_(policy.name() == "director"),
      director_id_(policy.director_id()),
      policy_(std::move(policy)) {}

Creds AccessControl::GetCreds(const Password& password, bool internal) const {
  absl::MutexLock lock(&mu_);
  return policy_.GetCreds(password, internal, agent_);
}

absl::StatusOr<bool> AccessControl::ApplyMessage(const Value& message, absl::Time now) {
  if (!director_) return absl::FailedPreconditionError("the policy is not director:");
  absl::StatusOr<std::optional<std::vector<AccessRule>>> decoded =
      DecodeRulesMessage(message, agent_);
  if (!decoded.ok()) return decoded.status();
  if (!decoded->has_value()) return false;
  absl::MutexLock lock(&mu_);
  policy_.ReplaceRules(std::move(**decoded));
  updated_ = now;
  ++update_count_;
  return true;
}

Value AccessControl::ApiValue() const {
  absl::MutexLock lock(&mu_);
  // step: 0 while the policy's own rules are in force (none, override, or
  // director before its first message), 1 once the director's are.
  return Dict({{"version", Int(kAcVersion)},
               {"policy", Str(policy_.name())},
               {"update_timestamp", Double(absl::ToDoubleSeconds(updated_ - absl::UnixEpoch()))},
               {"update_count", Int(update_count_)},
               {"step", Int(update_count_ > 0 ? 1 : 0)}});
}

}  // namespace ocs_influx::ocs_adapter
