#include "service/config/config.h"

#include <unistd.h>

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/files/files.h"
#include "common/log/log.h"

namespace ocs_influx::server {

std::string DefaultSpoolDir() {
  // No /tmp fallback: a spool in a world-writable place can be fed or
  // deleted by anyone, and is gone at the next reboot.
  const char* state = ::getenv("XDG_STATE_HOME");
  if (state != nullptr && state[0] == '/') {  // the XDG spec ignores relative values
    return absl::StrCat(state, "/ocs-influx-publisher/spool");
  }
  const char* home = ::getenv("HOME");
  if (home != nullptr && *home != '\0') {
    return absl::StrCat(home, "/.local/state/ocs-influx-publisher/spool");
  }
  return "";
}

void RegisterServiceFlags(flags::FlagSet* f, ServiceConfig* c) {
  if (c->spool_dir.empty()) c->spool_dir = DefaultSpoolDir();
  f->AddString("host", &c->host, "InfluxDB host (OCS --host).");
  f->AddInt("port", &c->port, 1, 65535, "InfluxDB HTTP port (OCS --port).");
  f->AddString("database", &c->database,
               "InfluxDB database; created when missing (OCS --database).");
  f->AddChoice("protocol", &c->protocol, {"line", "json"},
               "OCS --protocol. Accepted for compatibility: both write the same "
               "points, always as line protocol.");
  f->AddBool("gzip", &c->gzip, "Compress writes with gzip (OCS --gzip).");
  f->AddBool("ssl", &c->ssl, "Use https to InfluxDB (OCS --ssl).");
  f->AddBool("verify-ssl", &c->verify_ssl,
             "Verify InfluxDB's certificate and host name (OCS --verify-ssl).");
  f->AddChoice("initial-state", &c->initial_state, {"idle", "record"},
               "Start recording at once (record) or wait for StartRecording "
               "(OCS --initial-state).");
  f->AddChoice("influxdb-api", &c->influxdb_api, {"v1", "v2", "v3"},
               "InfluxDB API: v1 (InfluxDB 1.x: --host --port --database), v2 "
               "(InfluxDB 2, Cloud: --url --org --bucket and a token, else "
               "INFLUXDB_V2_URL/_ORG/_BUCKET/_TOKEN as the OCS InfluxDBAgentv2), "
               "v3 (InfluxDB 3 Core, Enterprise: --url --database and a token, "
               "else INFLUXDB3_HOST_URL/INFLUXDB3_AUTH_TOKEN).");
  f->AddString("url", &c->url,
               "v2, v3: InfluxDB base URL, e.g. https://influxdb:8086 (default "
               "INFLUXDB_V2_URL; v3 INFLUXDB3_HOST_URL).");
  f->AddString("org", &c->org, "v2: organization name or ID (default INFLUXDB_V2_ORG).");
  f->AddString("bucket", &c->bucket,
               "v2: bucket, created when missing (default INFLUXDB_V2_BUCKET).");
  f->AddString("influx-token-file", &c->influx_token_file,
               "v2, v3: file holding the InfluxDB token (default INFLUXDB_V2_TOKEN, "
               "v3 INFLUXDB3_AUTH_TOKEN, each also as <NAME>_FILE).");
  f->AddString("listen", &c->listen,
               "gRPC address. Loopback by default; 0.0.0.0:PORT exposes it "
               "(then set --auth-token-file, and TLS).");
  f->AddString("retention-policy", &c->retention_policy,
               "InfluxDB retention policy; empty: the database's default.");
  f->AddString("spool-dir", &c->spool_dir,
               "Directory of the durable spool. Points wait here until "
               "InfluxDB has them, across outages and restarts.");
  f->AddByteSize("spool-max-bytes", &c->spool_max_bytes,
                 "Spool size limit; writes answer RESOURCE_EXHAUSTED at it.");
  f->AddBool("spool-fsync", &c->spool_fsync,
             "fsync each group commit before answering OK. Off trades "
             "durability across power loss for latency.");
  f->AddInt("batch-size", &c->batch_size, 1, 1000000,
            "Lines per InfluxDB write at most.");
  f->AddDuration("flush-interval", &c->flush_interval,
                 "How long a point may wait for a fuller batch (e.g. 1s, 250ms).");
  f->AddString("dead-letter-file", &c->dead_letter_file,
               "Where points InfluxDB refuses are kept, replayable with curl; "
               "default <spool-dir>/dead-letter.lp.");
  f->AddString("auth-token-file", &c->auth_token_file,
               "File holding a bearer token that every RPC but health must "
               "carry (authorization: Bearer <token>).");
  f->AddString("tls-cert", &c->tls_cert, "PEM certificate for TLS on the gRPC port.");
  f->AddString("tls-key", &c->tls_key, "PEM private key for --tls-cert.");
  f->AddString("ssl-ca-file", &c->ssl_ca_file,
               "CA bundle to verify InfluxDB with (with --verify-ssl).");
  f->AddDuration("stats-interval", &c->stats_interval,
                 "How often the publisher writes its own counters as "
                 "measurement publisher_stats; 0 turns it off.");
  f->AddDuration("stale-after", &c->stale_after,
                 "A feed (measurement and feed tag) with nothing accepted for "
                 "this long shows as stale in `publisherctl feeds` and "
                 "publisher_stats.");
  f->AddDuration("shutdown-timeout", &c->shutdown_timeout,
                 "On SIGINT/SIGTERM, how long to keep delivering before exit; "
                 "the rest stays in the spool.");
  f->AddDuration("influx-timeout", &c->influx_timeout,
                 "Timeout of one InfluxDB request.");
  f->AddChoice("log-level", &c->log_level, {"debug", "info", "warning", "error"},
               "Least severe log level written to stderr.");
}

namespace {

// A setting from the flag, else the environment variable (or its _FILE);
// required ones missing are an error naming both.
absl::Status Setting(const std::string& flag_value, const char* flag, const char* env,
                     bool required, const std::string& api,
                     const std::function<const char*(const char*)>& getenv_fn,
                     std::string* out) {
  if (!flag_value.empty()) {
    *out = flag_value;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<std::string>> v = influx::ReadEnvOrFile(env, getenv_fn);
  if (!v.ok()) return v.status();
  if (v->has_value() && (*v)->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(env, " is set but empty"));
  }
  if (v->has_value()) {
    *out = **v;
  } else if (required) {
    return absl::InvalidArgumentError(absl::StrCat("--influxdb-api ", api, " needs ",
                                                   flag ? flag : "", flag ? " or " : "", env));
  }
  return absl::OkStatus();
}

// InfluxDB 2 and 3: the URL, org, bucket or database, token and TLS
// settings, from flags first, then the environment.
absl::Status BuildV2V3(const ServiceConfig& c, influx::InfluxOptions* o,
                       const std::function<const char*(const char*)>& getenv_fn) {
  const bool v2 = c.influxdb_api == "v2";
  o->api = v2 ? influx::InfluxApi::kV2 : influx::InfluxApi::kV3;
  const std::string& api = c.influxdb_api;
  absl::Status st = Setting(c.url, "--url", v2 ? "INFLUXDB_V2_URL" : "INFLUXDB3_HOST_URL",
                            true, api, getenv_fn, &o->url);
  if (!st.ok()) return st;
  if (v2) {
    st = Setting(c.org, "--org", "INFLUXDB_V2_ORG", true, api, getenv_fn, &o->org);
    if (!st.ok()) return st;
    st = Setting(c.bucket, "--bucket", "INFLUXDB_V2_BUCKET", true, api, getenv_fn,
                 &o->database);
    if (!st.ok()) return st;
  } else {
    if (!c.org.empty() || !c.bucket.empty()) {
      return absl::InvalidArgumentError(
          "--org and --bucket are for --influxdb-api v2; InfluxDB 3 writes to --database");
    }
    o->database = c.database;
  }
  if (!c.influx_token_file.empty()) {
    absl::StatusOr<std::string> token = influx::ReadSecretFile(c.influx_token_file);
    if (!token.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--influx-token-file: ", token.status().message()));
    }
    if (token->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--influx-token-file ", c.influx_token_file, " is empty"));
    }
    o->token = *std::move(token);
  } else {
    st = Setting("", "--influx-token-file", v2 ? "INFLUXDB_V2_TOKEN" : "INFLUXDB3_AUTH_TOKEN",
                 true, api, getenv_fn, &o->token);
    if (!st.ok()) return st;
  }
  std::string text;
  // --influx-timeout wins when it is changed from its default.
  if (c.influx_timeout == ServiceConfig().influx_timeout) {
    st = Setting("", nullptr, "INFLUXDB_V2_TIMEOUT", false, api, getenv_fn, &text);
    if (!st.ok()) return st;
    if (!text.empty()) {
      int64_t ms = 0;
      if (!absl::SimpleAtoi(text, &ms) || ms <= 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "INFLUXDB_V2_TIMEOUT must be a positive number of milliseconds, not '",
            text.substr(0, 32), "'"));
      }
      o->request_timeout = absl::Milliseconds(ms);
    }
  }
  // The Python client verifies certificates unless told not to.
  o->verify_ssl = true;
  text.clear();
  st = Setting("", nullptr, "INFLUXDB_V2_VERIFY_SSL", false, api, getenv_fn, &text);
  if (!st.ok()) return st;
  if (!text.empty()) {
    const std::string v = absl::AsciiStrToLower(text);
    if (v == "true" || v == "yes") {
      o->verify_ssl = true;
    } else if (v == "false" || v == "no") {
      o->verify_ssl = c.verify_ssl;
    } else {
      // Python's _to_bool reads anything else as false; "1" or "on" meaning
      // "off" would be a surprise, so they are refused instead.
      return absl::InvalidArgumentError(absl::StrCat(
          "INFLUXDB_V2_VERIFY_SSL must be true, yes, false or no, not '",
          text.substr(0, 32), "'"));
    }
  }
  if (c.ssl_ca_file.empty()) {
    st = Setting("", nullptr, "INFLUXDB_V2_SSL_CA_CERT", false, api, getenv_fn, &o->ca_file);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status BuildOptions(const ServiceConfig& c, PublisherOptions* p,
                          ServerOptions* s,
                          std::function<const char*(const char*)> getenv_fn) {
  if (c.host.empty()) return absl::InvalidArgumentError("--host is empty");
  if (c.database.empty()) return absl::InvalidArgumentError("--database is empty");
  if (c.spool_max_bytes < (1u << 20)) {
    return absl::InvalidArgumentError("--spool-max-bytes must be at least 1MiB");
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (c.flush_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--flush-interval must be positive");
  }
  if (c.influx_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--influx-timeout must be positive");
  }
  p->spool.dir = c.spool_dir;
  p->spool.max_bytes = c.spool_max_bytes;
  p->spool.fsync = c.spool_fsync;
  p->influx.host = c.host;
  p->influx.port = static_cast<int>(c.port);
  p->influx.database = c.database;
  p->influx.retention_policy = c.retention_policy;
  p->influx.gzip = c.gzip;
  p->influx.ssl = c.ssl;
  p->influx.verify_ssl = c.verify_ssl;
  p->influx.ca_file = c.ssl_ca_file;
  p->influx.request_timeout = c.influx_timeout;
  if (c.influxdb_api == "v1") {
    if (!c.url.empty() || !c.org.empty() || !c.bucket.empty() ||
        !c.influx_token_file.empty()) {
      return absl::InvalidArgumentError(
          "--url, --org, --bucket and --influx-token-file need --influxdb-api v2 or v3");
    }
    if (absl::Status st = influx::LoadCredentialsFromEnvironment(&p->influx, getenv_fn);
        !st.ok()) {
      return st;
    }
  } else if (c.influxdb_api == "v2" || c.influxdb_api == "v3") {
    if (absl::Status st = BuildV2V3(c, &p->influx, getenv_fn); !st.ok()) return st;
    // Checked here so that the error names the setting at start-up.
    auto client = influx::InfluxClient::Create(p->influx);
    if (!client.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--influxdb-api ", c.influxdb_api, " (--url, --org, --bucket, --database, token): ",
          client.status().message()));
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--influxdb-api must be v1, v2 or v3, not '", c.influxdb_api, "'"));
  }
  p->writer.batch_size = static_cast<size_t>(c.batch_size);
  p->writer.flush_interval = c.flush_interval;
  p->writer.stats_interval = c.stats_interval;
  if (c.stale_after <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--stale-after must be positive");
  }
  p->stale_after = c.stale_after;
  char hostname[256] = {};
  if (::gethostname(hostname, sizeof(hostname) - 1) == 0) {
    p->writer.stats_host = hostname;
  }
  p->dead_letter_file = c.dead_letter_file;
  p->record_at_start = c.initial_state == "record";

  s->listen = c.listen;
  s->tls_cert_file = c.tls_cert;
  s->tls_key_file = c.tls_key;
  if (!c.auth_token_file.empty()) {
    absl::StatusOr<std::string> token = files::ReadTokenFile(c.auth_token_file);
    if (!token.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--auth-token-file: ", token.status().message()));
    }
    s->auth_token = *std::move(token);
  }
  // Last: a flag given wrong is the likelier mistake, and names itself.
  if (c.spool_dir.empty()) {
    return absl::InvalidArgumentError(
        "no spool directory: neither XDG_STATE_HOME nor HOME is set to default it; "
        "pass --spool-dir DIR");
  }
  return absl::OkStatus();
}

}  // namespace ocs_influx::server
