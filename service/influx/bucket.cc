// InfluxDB 2's bucket: looked up by name in the org, created when missing.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "service/core/json.h"
#include "service/influx/client.h"
#include "service/influx/http_transport.h"

namespace ocs_influx::influx {
namespace {

// Debian's Abseil is built without std::string_view aliasing, so its
// string_view is a distinct type.
absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

// The org's ID looked up by name first, unless the org is given as its ID.
absl::Status InfluxClient::EnsureBucket() {
  const std::string what = absl::StrCat("bucket ", options_.database, " on ", urls_.base);
  absl::StatusOr<long> code = Manage(
      absl::StrCat(urls_.base, "/api/v2/buckets?name=", http_->Escape(options_.database),
                   IsOrgId(options_.org) ? "&orgID=" : "&org=", http_->Escape(options_.org)),
      nullptr, absl::StrCat("looking up ", what));
  if (!code.ok()) return code.status();
  if (*code != 200 && *code != 404) {
    return HttpError(*code, absl::StrCat("looking up ", what), AnswerError());
  }
  if (*code == 200) {
    absl::StatusOr<core::DynamicValue> v = core::ParseJson(AV(last_->body));
    const std::vector<core::DynamicValue>* buckets =
        v.ok() ? TopLevelArray(*v, "buckets") : nullptr;
    if (buckets == nullptr) {
      return absl::UnavailableError(absl::StrCat("looking up ", what, ": unreadable answer"));
    }
    for (const core::DynamicValue& b : *buckets) {
      if (StringMember(b, "name") == options_.database) return absl::OkStatus();
    }
  }
  std::string org_id = options_.org;
  if (!IsOrgId(org_id)) {
    const std::string org_what = absl::StrCat("organization ", options_.org, " on ", urls_.base);
    code = Manage(absl::StrCat(urls_.base, "/api/v2/orgs?org=", http_->Escape(options_.org)),
                  nullptr, absl::StrCat("looking up ", org_what));
    if (!code.ok()) return code.status();
    if (*code == 404) {
      return absl::NotFoundError(absl::StrCat(org_what, " not found: ", AnswerError()));
    }
    if (*code != 200) {
      return HttpError(*code, absl::StrCat("looking up ", org_what), AnswerError());
    }
    absl::StatusOr<core::DynamicValue> v = core::ParseJson(AV(last_->body));
    const std::vector<core::DynamicValue>* orgs = v.ok() ? TopLevelArray(*v, "orgs") : nullptr;
    org_id.clear();
    if (orgs != nullptr) {
      for (const core::DynamicValue& o : *orgs) {
        if (StringMember(o, "name") == options_.org || orgs->size() == 1) {
          org_id = StringMember(o, "id");
          break;
        }
      }
    }
    if (org_id.empty()) return absl::NotFoundError(absl::StrCat(org_what, " not found"));
  }
  // Empty retention rules: kept forever (InfluxDB OSS), as the OCS agent
  // creates it; a site wanting expiry sets it on the bucket.
  const std::string request =
      absl::StrCat("{\"orgID\":", JsonQuote(org_id), ",\"name\":", JsonQuote(options_.database),
                   ",\"retentionRules\":[]}");
  code = Manage(absl::StrCat(urls_.base, "/api/v2/buckets"), &request,
                absl::StrCat("creating ", what));
  if (!code.ok()) return code.status();
  // 422 "conflict": another publisher made it meanwhile.
  const std::string& body = last_->body;
  if (*code == 201 || *code == 200 ||
      (*code == 422 && (absl::StrContains(body, "conflict") ||
                        absl::StrContains(body, "already exists")))) {
    if (*code != 422) LOG_INFO("influx: created %s", what);
    return absl::OkStatus();
  }
  return HttpError(*code, absl::StrCat("creating ", what), AnswerError());
}

}  // namespace ocs_influx::influx
