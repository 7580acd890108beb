// ocs_adapter: a drop-in for OCS's Python InfluxDB Publisher Agent. It joins
// the site's WAMP realm as the InfluxDBAgent instance of the site config and
// records every feed through the core publisher (embedded, or over gRPC).
#include <unistd.h>

#include <iostream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/files/files.h"
#include "common/flags/flags.h"
#include "common/grpc_channel/grpc_channel.h"
#include "common/log/log.h"
#include "common/runtime/tuning.h"
#include "common/signals/stop_signals.h"
#include "grpcpp/grpcpp.h"
#include "ocs_adapter/adapter.h"
#include "ocs_adapter/agent_class.h"
#include "ocs_adapter/embedded_publisher.h"
#include "ocs_adapter/feed_filter.h"
#include "ocs_adapter/merge_args.h"
#include "ocs_adapter/publisher_client.h"
#include "ocs_adapter/site_config.h"
#include "service/core/float_format.h"
#include "service/config/config.h"
#include "service/grpc/server.h"

namespace {

using namespace ocs_influx;

constexpr char kDescription[] =
    "A drop-in replacement for the OCS InfluxDB Publisher Agent: launched as\n"
    "an OCS agent (site config, instance id), it registers <address>.ops and\n"
    "<address> with the `record` process, publishes its heartbeat, subscribes\n"
    "to every feed (<address_root>..feeds., wildcard) and writes the recorded\n"
    "ones to InfluxDB through the core publisher: durably spooled first, so an\n"
    "InfluxDB outage loses nothing.\n"
    "\n"
    "Choose the core publisher: --embedded-publisher runs it in this process\n"
    "(configured by the InfluxDB flags below, from the instance's arguments\n"
    "in the site config; command-line flags win), or --publisher HOST:PORT\n"
    "uses a running one. InfluxDB credentials come from INFLUXDB_USERNAME /\n"
    "INFLUXDB_PASSWORD (or the *_FILE variables), else root / root.\n"
    "\n"
    "An instance whose agent-class is InfluxDBAgentv2 is that agent: its\n"
    "arguments are --initial-state, --protocol and --gzip, and the embedded\n"
    "publisher writes through the InfluxDB 2 API (--influxdb-api v2) to\n"
    "INFLUXDB_V2_URL, INFLUXDB_V2_ORG, INFLUXDB_V2_BUCKET with INFLUXDB_V2_TOKEN\n"
    "(each also as <NAME>_FILE).\n"
    "\n"
    "Several publishers can share a site: --feeds and --exclude-feeds choose\n"
    "the feeds this one records, by globs over <agent_address>.<feed_name>.";

struct AdapterFlags {
  ocs_adapter::SiteArgs site;
  server::ServiceConfig service;
  std::string publisher;
  bool embedded = false;
  std::string publisher_token_file;
  bool publisher_tls = false;
  std::string publisher_tls_ca;
  std::string dead_publications_file;
  std::string feeds;
  std::string exclude_feeds;
  std::string access_policy;
};

void Register(flags::FlagSet* f, AdapterFlags* a) {
  ocs_adapter::RegisterSiteFlags(f, &a->site);
  a->service.host = "influxdb";  // the OCS agent's default
  server::RegisterServiceFlags(f, &a->service);
  f->AddString("publisher", &a->publisher,
               "HOST:PORT of a running core publisher (instead of --embedded-publisher).");
  f->AddBool("embedded-publisher", &a->embedded,
             "Run the core publisher in this process: one process replaces the "
             "Python agent.");
  f->AddString("publisher-token-file", &a->publisher_token_file,
               "Bearer token file for --publisher.");
  f->AddBool("publisher-tls", &a->publisher_tls, "TLS to --publisher.");
  f->AddString("publisher-tls-ca", &a->publisher_tls_ca,
               "PEM CA file to verify --publisher with (implies --publisher-tls).");
  f->AddString("dead-publications-file", &a->dead_publications_file,
               "JSON-lines file of the publications the adapter refuses (malformed, over "
               "a bound), each with its reason; at most 64 MiB, the rest is counted. "
               "Default: dead-publications.jsonl in --spool-dir.");
  f->AddString("feeds", &a->feeds,
               "PATTERN[,PATTERN]: record only the feeds whose <agent_address>.<feed_name> "
               "matches one of these globs (* any run, ? one character), e.g. "
               "observatory.lakeshore*.* (default: every feed).");
  f->AddString("exclude-feeds", &a->exclude_feeds,
               "PATTERN[,PATTERN]: do not record the feeds matching one of these globs, "
               "e.g. *.detector_temps; applied after --feeds.");
  f->AddString("access-policy", &a->access_policy,
               "OCS access control: none, override:PW2,PW3 or director:ID (the Access "
               "Director's instance id). Default: the site config hub's access_policy, "
               "else none.");
}

int Fail(absl::string_view message, int code = 2) {
  std::cerr << "ocs_adapter: " << message << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  const ocs_influx::runtime::AllocatorTuning tuning = ocs_influx::runtime::TuneProcess(argv);
  std::vector<std::string> command_line(argv + 1, argv + argc);
  // First pass: the command line alone, for --help and the site flags.
  AdapterFlags first;
  flags::FlagSet first_set("ocs_adapter --site-file FILE --instance-id ID [FLAGS]",
                           kDescription);
  Register(&first_set, &first);
  std::vector<std::string> positional;
  if (std::optional<int> exit_code = flags::ParseCommandLine(
          first_set, command_line, "ocs_adapter", {}, &positional, std::cout, std::cerr)) {
    return *exit_code;
  }

  absl::StatusOr<ocs_adapter::SiteConfig> site = ocs_adapter::LoadSiteConfig(first.site);
  if (!site.ok()) return Fail(site.status().message());

  // Second pass: the instance's arguments (as its agent class reads them),
  // then the command line, which wins.
  AdapterFlags a;
  flags::FlagSet flag_set("ocs_adapter", kDescription);
  Register(&flag_set, &a);
  a.service.influxdb_api = ocs_adapter::DefaultInfluxdbApi(site->agent_class);
  absl::StatusOr<std::vector<std::string>> site_arguments =
      ocs_adapter::SiteArgumentsForClass(site->agent_class, site->arguments);
  absl::Status merged =
      site_arguments.ok()
          ? flag_set.Parse(ocs_adapter::MergeArguments(*site_arguments, command_line),
                           &positional)
          : site_arguments.status();
  if (!merged.ok()) {
    return Fail(absl::StrCat("site config ", site->host_name, "/", site->instance_id,
                             " arguments: ", merged.message()));
  }
  log::Level level;
  log::ParseLevel(a.service.log_level, &level);
  log::SetMinLevel(level);
  if (a.embedded == !a.publisher.empty()) {
    return Fail("choose one of --embedded-publisher and --publisher HOST:PORT");
  }
  absl::StatusOr<std::vector<std::string>> feeds =
      ocs_adapter::ParseFeedPatterns("feeds", a.feeds);
  if (!feeds.ok()) return Fail(feeds.status().message());
  absl::StatusOr<std::vector<std::string>> exclude_feeds =
      ocs_adapter::ParseFeedPatterns("exclude-feeds", a.exclude_feeds);
  if (!exclude_feeds.ok()) return Fail(exclude_feeds.status().message());
  // As OCS: the flag (instance arguments or command line), else the hub's.
  absl::StatusOr<ocs_adapter::AccessPolicy> access_policy = ocs_adapter::AccessPolicy::Parse(
      flag_set.WasSet("access-policy") ? a.access_policy : site->access_policy);
  if (!access_policy.ok()) return Fail(access_policy.status().message());

  signals::BlockStopSignals();

  std::unique_ptr<server::PublisherServer> embedded;
  std::unique_ptr<ocs_adapter::PublisherLink> publisher_link;
  if (a.embedded) {
    server::PublisherOptions publisher_options;
    server::ServerOptions server_options;
    if (absl::Status s = server::BuildOptions(a.service, &publisher_options, &server_options);
        !s.ok()) {
      return Fail(s.message());
    }
    // The adapter starts recording when it joins, as OCS's agent does.
    publisher_options.record_at_start = false;
    auto publisher = server::Publisher::Create(std::move(publisher_options));
    if (!publisher.ok()) return Fail(publisher.status().message(), 1);
    auto started = server::PublisherServer::Start(server_options, std::move(*publisher));
    if (!started.ok()) return Fail(started.status().message(), 1);
    embedded = std::move(*started);
    // The adapter's own calls go straight to the engine; the server's
    // port is for publisherctl and other clients.
    publisher_link = std::make_unique<ocs_adapter::EmbeddedPublisher>(embedded->publisher());
  } else {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        CreateChannel(a.publisher, {a.publisher_tls, a.publisher_tls_ca});
    if (!channel.ok()) {
      return Fail(absl::StrCat("--publisher-tls-ca: ", channel.status().message()));
    }
    std::string token;
    if (!a.publisher_token_file.empty()) {
      absl::StatusOr<std::string> t = files::ReadTokenFile(a.publisher_token_file);
      if (!t.ok()) return Fail(absl::StrCat("--publisher-token-file: ", t.status().message()));
      token = *t;
    }
    publisher_link = std::make_unique<ocs_adapter::PublisherClient>(*std::move(channel), token);
  }

  ocs_adapter::AdapterOptions options;
  options.wamp.url = site->wamp_server;
  options.wamp.realm = site->wamp_realm;
  options.address_root = site->address_root;
  options.identity.address = site->agent_address();
  if (!site->agent_class.empty()) options.identity.agent_class = site->agent_class;
  char hostname[256] = {};
  ::gethostname(hostname, sizeof(hostname) - 1);
  options.identity.hostname = hostname;
  options.identity.pid = ::getpid();
  core::AppendDouble(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()),
                     &options.identity.agent_session_id);
  options.record_on_join = a.service.initial_state == "record";
  options.feeds = *std::move(feeds);
  options.exclude_feeds = *std::move(exclude_feeds);
  options.access_policy = *access_policy;
  options.instance_id = site->instance_id;
  if (site->crossbar_timeout.has_value()) {
    options.crossbar_timeout = absl::Seconds(*site->crossbar_timeout);
  }

  if (!a.dead_publications_file.empty()) {
    options.dead_letters.path = a.dead_publications_file;
  } else if (!a.service.spool_dir.empty()) {
    options.dead_letters.path = a.service.spool_dir + "/dead-publications.jsonl";
  }
  LOG_INFO("ocs_adapter: %s", ocs_influx::runtime::Describe(tuning));
  LOG_INFO("ocs_adapter: %s (%s) joining %s realm %s; publisher %s; refused publications "
           "to %s", options.identity.address, options.identity.agent_class, options.wamp.url,
           options.wamp.realm,
           a.embedded ? absl::StrCat("embedded (InfluxDB API ", a.service.influxdb_api, ")")
                      : a.publisher,
           options.dead_letters.path.empty() ? "nowhere (counted only)"
                                             : options.dead_letters.path);
  if (!options.feeds.empty() || !options.exclude_feeds.empty()) {
    LOG_INFO("ocs_adapter: recording the feeds matching %s, except %s",
             options.feeds.empty() ? "*" : absl::StrJoin(options.feeds, ","),
             options.exclude_feeds.empty() ? "none" : absl::StrJoin(options.exclude_feeds, ","));
  }
  // The policy's kind only: an override policy holds passwords.
  LOG_INFO("ocs_adapter: access policy %s%s", options.access_policy.name(),
           options.access_policy.name() == "director"
               ? absl::StrCat(" (Access Director ", options.access_policy.director_id(), ")")
               : std::string());
  absl::Status result;
  {
    ocs_adapter::Adapter adapter(options, publisher_link.get());
    signals::StopSignalThread on_stop([&adapter](int signal_number) {
      LOG_INFO("ocs_adapter: %s received", signals::SignalName(signal_number));
      adapter.Stop();
    });
    result = adapter.Run();
    if (!result.ok()) LOG_ERROR("ocs_adapter: %s", std::string(result.message()));
  }
  if (embedded != nullptr) embedded->Shutdown(a.service.shutdown_timeout);
  LOG_INFO("ocs_adapter: stopped");
  return result.ok() ? 0 : 1;
}
