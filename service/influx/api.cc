#include "service/influx/api.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/utf8/utf8.h"
#include "service/influx/answer_text.h"

namespace ocs_influx::influx {
namespace {

// Debian's Abseil is built without std::string_view aliasing, so its
// string_view is a distinct type.
absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool ValidHost(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::string_view h = host;
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') return false;
    h = h.substr(1, h.size() - 2);
  }
  for (char c : h) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
          c == '_' || c == ':')) {
      return false;
    }
  }
  return true;
}

bool ValidV3DatabaseName(std::string_view db) {
  if (db.empty() || !absl::ascii_isalnum(static_cast<unsigned char>(db.front()))) {
    return false;
  }
  for (char c : db) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

// The v2 / v3 base URL: http(s)://authority[/prefix], no credentials, no
// query; returned without a trailing "/".
absl::StatusOr<std::string> CheckBaseUrl(const std::string& url) {
  std::string_view u = url;
  std::string_view rest;
  if (absl::StartsWith(AV(u), "http://")) {
    rest = u.substr(7);
  } else if (absl::StartsWith(AV(u), "https://")) {
    rest = u.substr(8);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "InfluxDB URL '", utf8::Sanitize(url, 200), "' must start with http:// or https://"));
  }
  const std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.empty() || authority.find('@') != std::string_view::npos ||
      rest.find_first_of("?# \t") != std::string_view::npos) {
    // Credentials in a URL end up in logs: tokens go in their own setting.
    return absl::InvalidArgumentError(absl::StrCat(
        "InfluxDB URL '",
        utf8::Sanitize(url.find('@') == std::string::npos ? url : "(hidden)", 200),
        "' must be http(s)://HOST[:PORT][/PATH], without credentials or query"));
  }
  while (!u.empty() && u.back() == '/') u.remove_suffix(1);
  return std::string(u);
}

}  // namespace

std::string_view InfluxApiName(InfluxApi api) {
  switch (api) {
    case InfluxApi::kV1: return "v1";
    case InfluxApi::kV2: return "v2";
    case InfluxApi::kV3: return "v3";
  }
  return "?";
}

bool IsOrgId(std::string_view org) {
  if (org.size() != 16) return false;
  for (char c : org) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::StatusOr<std::string> CheckOptions(const InfluxOptions& options) {
  const bool v1 = options.api == InfluxApi::kV1;
  std::string base_url;
  if (v1) {
    if (!ValidHost(options.host)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid InfluxDB host '",
                                                     utf8::Sanitize(options.host, 64), "'"));
    }
    if (options.port < 1 || options.port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("invalid InfluxDB port ", options.port));
    }
    const bool ipv6_literal =
        options.host.find(':') != std::string::npos && options.host.front() != '[';
    base_url = absl::StrCat(options.ssl ? "https://" : "http://", ipv6_literal ? "[" : "",
                            options.host, ipv6_literal ? "]" : "", ":", options.port);
  } else {
    absl::StatusOr<std::string> url = CheckBaseUrl(options.url);
    if (!url.ok()) return url.status();
    base_url = *std::move(url);
    if (options.token.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("InfluxDB ", AV(InfluxApiName(options.api)), " needs a token"));
    }
    if (options.token.find_first_of("\r\n") != std::string::npos) {
      return absl::InvalidArgumentError("the InfluxDB token holds a line break");
    }
    if (options.api == InfluxApi::kV2 && options.org.empty()) {
      return absl::InvalidArgumentError("InfluxDB v2 needs an organization");
    }
    if (options.api == InfluxApi::kV3 && !ValidV3DatabaseName(options.database)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "InfluxDB 3 database name '", utf8::Sanitize(options.database, 64),
          "' must be ASCII letters, digits, '_' or '-', starting with a letter or digit"));
    }
  }
  if (options.database.empty()) {
    return absl::InvalidArgumentError(options.api == InfluxApi::kV2 ? "empty bucket name"
                                                                    : "empty database name");
  }
  if (options.gzip_level < 1 || options.gzip_level > 9) {
    return absl::InvalidArgumentError(
        absl::StrCat("gzip level ", options.gzip_level, " not in 1..9"));
  }
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeouts must be positive");
  }
  return base_url;
}

ApiUrls BuildApiUrls(const InfluxOptions& options, std::string base_url,
                     const std::function<std::string(std::string_view)>& escape) {
  ApiUrls u;
  u.base = std::move(base_url);
  u.ping = u.base + "/ping";
  u.query = u.base + "/query";
  const std::string db = escape(options.database);
  switch (options.api) {
    case InfluxApi::kV1:
      u.write = absl::StrCat(u.base, "/write?db=", db);
      if (!options.retention_policy.empty()) {
        absl::StrAppend(&u.write, "&rp=", escape(options.retention_policy));
      }
      absl::StrAppend(&u.write, "&precision=ns");
      break;
    case InfluxApi::kV2:
      u.write = absl::StrCat(u.base, "/api/v2/write?", IsOrgId(options.org) ? "orgID=" : "org=",
                             escape(options.org), "&bucket=", db, "&precision=ns");
      // InfluxDB 2 wants "Token".
      u.auth_header = absl::StrCat("Authorization: Token ", options.token);
      break;
    case InfluxApi::kV3:
      u.write = absl::StrCat(u.base, "/api/v3/write_lp?db=", db,
                             "&precision=nanosecond&accept_partial=true");
      // InfluxDB 3 documents "Bearer" (and takes "Token" too).
      u.auth_header = absl::StrCat("Authorization: Bearer ", options.token);
      break;
  }
  return u;
}

absl::Status HttpError(long code, std::string_view what, std::string_view message) {
  std::string text = absl::StrCat(AV(what), ": HTTP ", code,
                                  message.empty() ? "" : ": ", AV(message));
  if (code == 401) return absl::UnauthenticatedError(text);
  if (code == 403) return absl::PermissionDeniedError(text);
  if (code == 404) return absl::NotFoundError(text);
  if (code == 413) return absl::ResourceExhaustedError(text);
  if (code >= 500 || code == 408 || code == 429) return absl::UnavailableError(text);
  if (code >= 400) return absl::InvalidArgumentError(text);
  return absl::UnknownError(text);
}

std::string NotInfluxDBText(std::string_view base_url, long code) {
  return absl::StrCat("answer from something that is not InfluxDB at ", AV(base_url), " (HTTP ",
                      code, ", no X-Influxdb-Version header)");
}

std::string TokenRefusedText(std::string_view base_url, long code,
                             std::string_view answer_error) {
  return absl::StrCat("InfluxDB refused the token (HTTP ", code,
                      answer_error.empty() ? "" : ": ", AV(answer_error), ") at ", AV(base_url));
}

}  // namespace ocs_influx::influx
