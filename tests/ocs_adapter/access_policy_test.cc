// OCS access control's pure logic, case for case with OCS's own
// tests/test_access.py (policies, hashes, scopes, lockouts) and the
// rejection texts of tests/integration/test_access_integration.py; and the
// director's messages, hostile ones included.
#include "ocs_adapter/access_policy.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/core/json.h"

namespace ocs_influx::ocs_adapter {
namespace {

const AgentSpec kAgent{"my-instance", "my-class"};

Password Pw(const std::string& text) { return {Password::Kind::kString, text}; }
Password NoPw() { return {}; }

int Level(const AccessPolicy& p, const Password& pw, const AgentSpec& agent = kAgent) {
  return p.GetCreds(pw, false, agent).level;
}

Value Json(const std::string& text) {
  absl::StatusOr<Value> v = core::ParseJson(text);
  EXPECT_TRUE(v.ok()) << v.status() << " in " << text;
  return v.ok() ? *v : Value();
}

AccessRule Rule(std::string hash, std::string value, int level) {
  AccessRule r;
  r.hashed_pass = {std::move(hash), std::move(value)};
  r.cred_level = level;
  r.scope.is_default = true;
  return r;
}

TEST(CredLevel, Names) {
  EXPECT_EQ(CredLevelName(0), "0-BLOCKED");
  EXPECT_EQ(CredLevelName(1), "1-BASIC");
  EXPECT_EQ(CredLevelName(2), "2-ADVANCED");
  EXPECT_EQ(CredLevelName(3), "3-FULL");
  EXPECT_EQ(CredLevelName(4), "4-SUPERUSER");
}

TEST(Md5, FirstSixteenHexDigits) {
  // hashlib.md5(b'a').hexdigest() = 0cc175b9c0f1b6a831c399e269772661
  EXPECT_EQ(Md5Prefix16("a"), "0cc175b9c0f1b6a8");
  EXPECT_EQ(Md5Prefix16(""), "d41d8cd98f00b204");
  // md5('superuser') = 0baea2f0ae20150db78f58cddac442a9
  EXPECT_EQ(Md5Prefix16("superuser"), "0baea2f0ae20150d");
}

TEST(Policy, NoneGivesLevelOneToAll) {
  for (const char* text : {"", "none"}) {
    absl::StatusOr<AccessPolicy> p = AccessPolicy::Parse(text);
    ASSERT_TRUE(p.ok()) << text;
    EXPECT_EQ(p->name(), "none");
    EXPECT_EQ(Level(*p, NoPw()), 1);
    EXPECT_EQ(Level(*p, Pw("anything")), 1);
    // Even the agent itself: OCS answers 1 before it looks at the key.
    EXPECT_EQ(p->GetCreds(NoPw(), true, kAgent).level, 1);
  }
}

TEST(Policy, OverrideGivesTwoAndThreeByClearPassword) {
  absl::StatusOr<AccessPolicy> p = AccessPolicy::Parse("override:a,b");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->name(), "override");
  EXPECT_EQ(Level(*p, NoPw()), 1);
  EXPECT_EQ(Level(*p, Pw("")), 1);
  EXPECT_EQ(Level(*p, Pw("xyz")), 1);
  EXPECT_EQ(Level(*p, Pw("a")), 2);
  EXPECT_EQ(Level(*p, Pw("b")), 3);
  EXPECT_EQ(p->GetCreds(NoPw(), true, kAgent).level, 4);
  // An empty PW2 makes level 2 free.
  EXPECT_EQ(Level(*AccessPolicy::Parse("override:,b"), Pw("zzz")), 2);
}

TEST(Policy, DirectorBlocksUntilRules) {
  absl::StatusOr<AccessPolicy> p = AccessPolicy::Parse("director:access-dir");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->name(), "director");
  EXPECT_EQ(p->director_id(), "access-dir");
  EXPECT_EQ(Level(*p, NoPw()), 0);
  EXPECT_EQ(Level(*p, Pw("a")), 0);
  EXPECT_EQ(p->GetCreds(NoPw(), true, kAgent).level, 4);
  EXPECT_EQ(AccessPolicy::Parse("director:")->director_id(), "access-director");
}

TEST(Policy, InvalidOnesAreErrorsThatQuoteNoPassword) {
  for (const char* text : {"invalid:", "director", "override:onlyone", "Director:x"}) {
    absl::StatusOr<AccessPolicy> p = AccessPolicy::Parse(text);
    EXPECT_FALSE(p.ok()) << text;
  }
  absl::StatusOr<AccessPolicy> p = AccessPolicy::Parse("override:s3cret");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(std::string(p.status().message()).find("s3cret"), std::string::npos);
  EXPECT_EQ(AccessPolicy::Parse("invalid:").status().message(), "Invalid policy \"invalid\"");
}

TEST(HashedPass, Checks) {
  EXPECT_TRUE((HashedPass{"none", ""}).Check(NoPw()));
  EXPECT_TRUE((HashedPass{"none", ""}).Check(Pw("anything")));
  EXPECT_TRUE((HashedPass{"md5", ""}).Check(Pw("anything")));
  EXPECT_FALSE((HashedPass{"blocked", ""}).Check(NoPw()));
  EXPECT_FALSE((HashedPass{"blocked", "a"}).Check(Pw("a")));
  EXPECT_TRUE((HashedPass{"none", "a"}).Check(Pw("a")));
  EXPECT_FALSE((HashedPass{"none", "a"}).Check(NoPw()));
  EXPECT_TRUE((HashedPass{"md5", "0cc175b9c0f1b6a8"}).Check(Pw("a")));
  EXPECT_FALSE((HashedPass{"md5", "0cc175b9c0f1b6a8"}).Check(Pw("0cc175b9c0f1b6a8")));
  EXPECT_FALSE((HashedPass{"md5", "0cc175b9c0f1b6a8"}).Check({Password::Kind::kOther, ""}));
}

TEST(Patterns, AsOcsPatternMatch) {
  const std::string pat = "HWP*,Fake*,!HWPSuper,!FakeSerpent";
  EXPECT_TRUE(PatternMatch("HWPxyz", pat));
  EXPECT_TRUE(PatternMatch("FakeBlomp", pat));
  EXPECT_TRUE(PatternMatch("HWPSuperX", pat));
  EXPECT_FALSE(PatternMatch("HWPSuper", pat));
  EXPECT_FALSE(PatternMatch("FakeSerpent", pat));
  EXPECT_FALSE(PatternMatch("NormalSerpent", pat));
  EXPECT_TRUE(PatternMatch("anything", "!other"));
  EXPECT_FALSE(PatternMatch("other", "!other"));
  EXPECT_TRUE(PatternMatch("fake-data1", "fake-data*,!fake-data-orama"));
  EXPECT_FALSE(PatternMatch("fake-data-orama", "fake-data*,!fake-data-orama"));
}

TEST(Patterns, FnMatch) {
  EXPECT_TRUE(FnMatch("abc", "a?c"));
  EXPECT_TRUE(FnMatch("abc", "*"));
  EXPECT_TRUE(FnMatch("", "*"));
  EXPECT_FALSE(FnMatch("", "?"));
  EXPECT_TRUE(FnMatch("a1", "a[0-9]"));
  EXPECT_FALSE(FnMatch("ax", "a[0-9]"));
  EXPECT_TRUE(FnMatch("ax", "a[!0-9]"));
  EXPECT_TRUE(FnMatch("a]", "a[]]"));
  EXPECT_TRUE(FnMatch("a[b", "a[b"));   // unclosed: literal
  EXPECT_FALSE(FnMatch("ABC", "abc"));  // case-sensitive
  EXPECT_TRUE(FnMatch("influx/agent", "influx*"));
  EXPECT_FALSE(FnMatch("a5", "a[9-0]"));  // an empty range
  EXPECT_TRUE(FnMatch("xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*a*b"));
  // Quadratic at worst, not exponential.
  const std::string name(2000, 'a');
  EXPECT_FALSE(FnMatch(name, std::string(500, '*') + "b"));
}

TEST(Creds, ScopesAsTestAccess) {
  AccessPolicy p;
  std::vector<AccessRule> rules;
  AccessRule by_class = Rule("none", "pw2", 2);
  by_class.scope = {false, std::string("my-class"), std::nullopt};
  AccessRule by_instance = Rule("none", "pw3", 3);
  by_instance.scope = {false, std::nullopt, std::string("my-instance")};
  AccessRule other = Rule("none", "pw2", 4);
  other.scope = {false, std::string("other-class"), std::nullopt};
  AccessRule nothing = Rule("none", "", 4);
  nothing.scope = {false, std::nullopt, std::nullopt};  // matches no agent
  p = *AccessPolicy::Parse("director:x");
  EXPECT_EQ(Level(p, Pw("pw2")), 0);  // no rules yet
  p.ReplaceRules({by_class, by_instance, other, nothing});
  EXPECT_EQ(Level(p, Pw("pw2")), 2);
  EXPECT_EQ(Level(p, Pw("pw3")), 3);
  EXPECT_EQ(Level(p, Pw("x")), 0);
  p.ReplaceRules({});
  EXPECT_EQ(Level(p, Pw("pw2")), 0);
  p.ReplaceRules({Rule("none", "", 2)});
  EXPECT_EQ(Level(p, Pw("anything")), 2);
  EXPECT_EQ(Level(p, NoPw()), 2);
}

TEST(Creds, LockoutsAsTestAccess) {
  AccessPolicy p = *AccessPolicy::Parse("director:x");
  const std::string grant = Md5Prefix16("grantpw");
  AccessRule g1 = Rule("md5", grant, 3);
  g1.scope = {false, std::nullopt, std::string("my-instance")};
  g1.lockout_levels = {1, 2, 3};
  g1.lockout_id = "g";
  g1.lockout_owner = "me";
  AccessRule g2 = Rule("md5", grant, 2);
  g2.scope = {false, std::string("my-class"), std::nullopt};
  g2.lockout_levels = {2, 3};
  g2.lockout_id = "g";
  g2.lockout_owner = "me";
  AccessRule free1 = Rule("none", "", 1);
  p.ReplaceRules({g1, g2, free1});
  const AgentSpec related{"other-instance", "my-class"};
  EXPECT_EQ(Level(p, Pw("grantpw")), 3);
  EXPECT_EQ(Level(p, Pw("grantpw"), related), 2);
  EXPECT_EQ(Level(p, Pw("wrong")), 0);
  AccessRule backdoor = Rule("none", "backdoor", 3);
  AccessRule superu = Rule("none", "superu", 4);
  p.ReplaceRules({g1, g2, free1, backdoor, superu});
  EXPECT_EQ(Level(p, Pw("backdoor")), 0);
  EXPECT_EQ(Level(p, Pw("backdoor"), related), 1);
  EXPECT_EQ(Level(p, Pw("superu")), 4);
  Creds c = p.GetCreds(Pw("backdoor"), false, kAgent);
  EXPECT_EQ(c.detail, "Privileges diminished; lockouts active: ['g[me]']");
  EXPECT_EQ(p.GetCreds(Pw("grantpw"), false, kAgent).detail, "");
}

TEST(Rejection, ExactTexts) {
  EXPECT_EQ(RejectionMessage(0, 1, ""),
            "The action requires credential level 1-BASIC but the client has only level "
            "0-BLOCKED");
  EXPECT_EQ(RejectionMessage(0, 2,
                             "Privileges diminished; lockouts active: "
                             "['test-grant[test-grantee]']"),
            "The action requires credential level 2-ADVANCED but the client has only level "
            "0-BLOCKED Privileges diminished; lockouts active: ['test-grant[test-grantee]']");
}

// The rules of OCS's tests/ocs-access.yaml as its director distributes them.
std::string ResetMessage(const std::string& extra_rules = "") {
  return absl::StrCat(
      R"({"reset": true, "ac_version": 1, "rules": [)"
      R"({"hashed_pass": {"hash": "none", "value": ""}, "cred_level": 1,)"
      R"( "scope_spec": {"default": true, "agent_class": null, "instance_id": null},)"
      R"( "lockout_id": null, "lockout_owner": null, "lockout_levels": []},)"
      R"({"hashed_pass": {"hash": "md5", "value": ")",
      Md5Prefix16("a"),
      R"("}, "cred_level": 2,)"
      R"( "scope_spec": {"default": true}},)"
      R"({"hashed_pass": {"hash": "md5", "value": ")",
      Md5Prefix16("superuser"), R"("}, "cred_level": 4})", extra_rules, "]}");
}

TEST(Director, ResetTargetedAndOthers) {
  AccessControl ac(*AccessPolicy::Parse("director:access-dir"), {"influxagent", "InfluxDBAgent"});
  EXPECT_EQ(ac.GetCreds(Pw("a"), false).level, 0);
  EXPECT_EQ(ac.ApiValue().Find("step")->int_value, 0);
  absl::StatusOr<bool> applied = ac.ApplyMessage(Json(ResetMessage()), absl::Now());
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_TRUE(*applied);
  EXPECT_EQ(ac.GetCreds(NoPw(), false).level, 1);
  EXPECT_EQ(ac.GetCreds(Pw("xyz"), false).level, 1);
  EXPECT_EQ(ac.GetCreds(Pw("a"), false).level, 2);
  EXPECT_EQ(ac.GetCreds(Pw("superuser"), false).level, 4);
  Value api = ac.ApiValue();
  EXPECT_EQ(api.Find("policy")->string_value, "director");
  EXPECT_EQ(api.Find("update_count")->int_value, 1);
  EXPECT_EQ(api.Find("step")->int_value, 1);
  EXPECT_GT(api.Find("update_timestamp")->double_value, 1e9);

  // Targeted at another agent: ignored.
  applied =
      ac.ApplyMessage(Json(R"({"target": "other", "ac_version": 1, "rules": []})"), absl::Now());
  ASSERT_TRUE(applied.ok());
  EXPECT_FALSE(*applied);
  EXPECT_EQ(ac.GetCreds(Pw("a"), false).level, 2);
  // Targeted at us: replaces.
  applied = ac.ApplyMessage(Json(R"({"target": "influxagent", "ac_version": 1, "rules": []})"),
                            absl::Now());
  ASSERT_TRUE(applied.ok());
  EXPECT_TRUE(*applied);
  EXPECT_EQ(ac.GetCreds(Pw("a"), false).level, 0);
  EXPECT_EQ(ac.ApiValue().Find("update_count")->int_value, 2);
}

TEST(Director, HostileMessagesChangeNothing) {
  AccessControl ac(*AccessPolicy::Parse("director:access-dir"), {"influxagent", "InfluxDBAgent"});
  ASSERT_TRUE(ac.ApplyMessage(Json(ResetMessage()), absl::Now()).ok());
  std::string huge_rules;
  for (size_t i = 0; i < kMaxAccessRules; ++i) {
    absl::StrAppend(&huge_rules, R"(,{"hashed_pass": {"hash": "none", "value": ""},)"
                                 R"( "cred_level": 3})");
  }
  const std::string long_value(kMaxAccessStringBytes + 1, 'x');
  const std::vector<std::string> hostile = {
      "[]",
      "{}",
      R"({"reset": true, "rules": []})",
      R"({"reset": true, "ac_version": 2, "rules": []})",
      R"({"reset": true, "ac_version": "1", "rules": []})",
      R"({"reset": true, "ac_version": 1})",
      R"({"reset": true, "ac_version": 1, "rules": {}})",
      R"({"target": 7, "ac_version": 1, "rules": []})",
      R"({"reset": true, "ac_version": 1, "rules": [7]})",
      R"({"reset": true, "ac_version": 1, "rules": [{"cred_level": 3}]})",
      R"({"reset": true, "ac_version": 1, "rules": [{"hashed_pass": {"hash": "sha1",)"
      R"( "value": "x"}, "cred_level": 3}]})",
      R"({"reset": true, "ac_version": 1, "rules": [{"hashed_pass": {"hash": "none"},)"
      R"( "cred_level": 9}]})",
      R"({"reset": true, "ac_version": 1, "rules": [{"hashed_pass": {"hash": "none"},)"
      R"( "cred_level": 3, "lockout_levels": [1, 7]}]})",
      R"({"reset": true, "ac_version": 1, "rules": [{"hashed_pass": {"hash": "none"},)"
      R"( "cred_level": 3, "scope_spec": "default"}]})",
      ResetMessage(huge_rules),
      ResetMessage(absl::StrCat(R"(,{"hashed_pass": {"hash": "none", "value": ")", long_value,
                                R"("}, "cred_level": 3})")),
      // A valid rule before a bad one: the whole message is refused.
      ResetMessage(R"(,{"hashed_pass": {"hash": "none", "value": ""}, "cred_level": "3"})"),
  };
  for (const std::string& text : hostile) {
    absl::StatusOr<bool> applied = ac.ApplyMessage(Json(text), absl::Now());
    EXPECT_FALSE(applied.ok()) << text.substr(0, 200);
    EXPECT_EQ(ac.GetCreds(Pw("a"), false).level, 2) << text.substr(0, 200);
    EXPECT_EQ(ac.GetCreds(NoPw(), false).level, 1) << text.substr(0, 200);
    EXPECT_EQ(ac.ApiValue().Find("update_count")->int_value, 1);
  }
}

TEST(Director, MessagesForOtherPoliciesAreRefused) {
  AccessControl ac(*AccessPolicy::Parse("override:a,b"), {"influxagent", "InfluxDBAgent"});
  EXPECT_FALSE(ac.ApplyMessage(Json(ResetMessage()), absl::Now()).ok());
  EXPECT_EQ(ac.GetCreds(Pw("superuser"), false).level, 1);
}

}  // namespace
}  // namespace ocs_influx::ocs_adapter
