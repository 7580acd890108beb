#include "client/feeds_command.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/connection.h"
#include "common/backoff/backoff.h"
#include "common/flags/flags.h"
#include "common/grpc_status/grpc_status.h"
#include "google/protobuf/util/json_util.h"

namespace ocs_influx::client {
namespace {

namespace v1 = ocs::influx::v1;

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

bool IsSet(const google::protobuf::Timestamp& t) {
  return t.seconds() != 0 || t.nanos() != 0;
}

std::string Age(const google::protobuf::Timestamp& t, absl::Time now) {
  if (!IsSet(t)) return "-";
  absl::Duration d = now - ToTime(t);
  if (d < absl::ZeroDuration()) return "in the future";
  return absl::StrCat(absl::FormatDuration(absl::Trunc(d, absl::Seconds(1))), " ago");
}

std::string PointTime(const google::protobuf::Timestamp& t) {
  if (!IsSet(t)) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", ToTime(t), absl::UTCTimeZone());
}

// ANSI: cursor home, then clear the screen: the table is redrawn in place.
constexpr char kClearToHome[] = "\033[H\033[2J";

}  // namespace

std::vector<v1::FeedStatus> SortedFeeds(const v1::Status& status) {
  std::vector<v1::FeedStatus> feeds(status.feeds().begin(), status.feeds().end());
  std::stable_sort(feeds.begin(), feeds.end(),
                   [](const v1::FeedStatus& a, const v1::FeedStatus& b) {
                     if (a.stale() != b.stale()) return a.stale();
                     absl::Time ta = ToTime(a.last_arrival()), tb = ToTime(b.last_arrival());
                     // Stale: the longest silent first; alive: the latest first.
                     if (ta != tb) return a.stale() ? ta < tb : ta > tb;
                     if (a.measurement() != b.measurement()) {
                       return a.measurement() < b.measurement();
                     }
                     return a.feed() < b.feed();
                   });
  return feeds;
}

std::string FormatFeedsTable(const v1::Status& status, absl::Time now) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"MEASUREMENT", "FEED", "STATE", "ACCEPTED", "WRITTEN", "DEAD", "POINTS/S",
                  "LAST ARRIVAL", "LAST POINT"});
  size_t stale = 0;
  for (const v1::FeedStatus& f : SortedFeeds(status)) {
    stale += f.stale() ? 1 : 0;
    rows.push_back({f.measurement(), f.feed().empty() ? "-" : f.feed(),
                    f.stale() ? "STALE" : "ok", absl::StrCat(f.points_accepted()),
                    absl::StrCat(f.points_written()), absl::StrCat(f.points_dead_lettered()),
                    absl::StrFormat("%.2f", f.points_per_second()),
                    Age(f.last_arrival(), now), PointTime(f.last_point_time())});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    absl::StrAppend(&out, line, "\n");
  }
  const absl::Duration stale_after = absl::Seconds(status.stale_after().seconds()) +
                                     absl::Nanoseconds(status.stale_after().nanos());
  absl::StrAppend(&out, "\n", status.feeds_size(), " feeds, ", stale, " stale (nothing for ",
                  absl::FormatDuration(stale_after), ")");
  if (status.feeds_not_tracked() > 0) {
    absl::StrAppend(&out, "; beyond the table's bound: ", status.feeds_not_tracked(),
                    " arrivals of untracked feeds, ", status.points_not_tracked(), " points");
  }
  absl::StrAppend(&out, "\n");
  return out;
}

absl::StatusOr<std::string> FeedsToJson(const v1::Status& status) {
  v1::Status only;
  for (v1::FeedStatus& f : SortedFeeds(status)) *only.add_feeds() = std::move(f);
  only.set_feeds_not_tracked(status.feeds_not_tracked());
  only.set_points_not_tracked(status.points_not_tracked());
  *only.mutable_stale_after() = status.stale_after();
  // Only the feed fields of Status: print them without the rest's defaults.
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  std::string feeds_json;
  std::string json = "{\n  \"feeds\": [";
  for (int i = 0; i < only.feeds_size(); ++i) {
    feeds_json.clear();
    auto s = google::protobuf::util::MessageToJsonString(only.feeds(i), &feeds_json, options);
    if (!s.ok()) {
      return absl::InternalError(absl::StrCat("cannot print the feeds as JSON: ",
                                              s.message().ToString()));
    }
    while (!feeds_json.empty() && feeds_json.back() == '\n') feeds_json.pop_back();
    absl::StrAppend(&json, i == 0 ? "\n" : ",\n", feeds_json);
  }
  const absl::Duration stale_after = absl::Seconds(only.stale_after().seconds()) +
                                     absl::Nanoseconds(only.stale_after().nanos());
  absl::StrAppend(&json, only.feeds_size() == 0 ? "],\n" : "\n  ],\n",
                  "  \"feedsNotTracked\": \"", only.feeds_not_tracked(), "\",\n",
                  "  \"pointsNotTracked\": \"", only.points_not_tracked(), "\",\n",
                  "  \"staleAfter\": \"", absl::ToDoubleSeconds(stale_after), "s\"\n}\n");
  return json;
}

int RunFeeds(const std::vector<std::string>& args, const CommandIo& io) {
  ConnectionOptions connection_options;
  bool json = false;
  bool watch = false;
  absl::Duration interval = absl::Seconds(2);
  int64_t count = 0;
  flags::FlagSet flag_set(
      "publisherctl feeds [FLAGS]",
      "Shows each feed (measurement and feed tag) the publisher has seen:\n"
      "points accepted, written and dead-lettered, points/s over the last\n"
      "minute, last arrival and the newest point's time; stale feeds (nothing\n"
      "for the publisher's --stale-after) first.");
  AddConnectionFlags(&flag_set, &connection_options,
                     "Deadline of each call; 0 means none.");
  flag_set.AddBool("json", &json, "Print the feeds as JSON, every field included.");
  flag_set.AddBool("watch", &watch,
                   "Refresh the table in place every --interval until Ctrl-C.");
  flag_set.AddDuration("interval", &interval, "How often --watch refreshes.");
  flag_set.AddInt("count", &count, 0, 1000000000,
                  "With --watch: stop after this many refreshes; 0: until Ctrl-C.");
  std::vector<std::string> positional;
  if (std::optional<int> exit =
          ParseCommandFlags(flag_set, args, "feeds", {}, &positional, io)) {
    return *exit;
  }
  if (watch && interval <= absl::ZeroDuration()) {
    return ReportUsageError(io, "feeds", "--interval must be positive");
  }
  absl::StatusOr<Connection> connection = Connection::Open(connection_options);
  if (!connection.ok()) return ReportFailure(io, "feeds", connection.status());

  StopSignal never;  // Ctrl-C ends the process; nothing else stops the wait
  for (int64_t round = 1;; ++round) {
    grpc::ClientContext context;
    connection->PrepareCall(&context);
    v1::Status status;
    grpc::Status rpc = connection->stub().GetStatus(&context, v1::GetStatusRequest(), &status);
    if (!rpc.ok()) return ReportFailure(io, "feeds", FromGrpcStatus(rpc));
    if (watch && !json) *io.out << kClearToHome;
    if (json) {
      absl::StatusOr<std::string> text = FeedsToJson(status);
      if (!text.ok()) return ReportFailure(io, "feeds", text.status());
      *io.out << *text;
    } else {
      absl::Time now = absl::Now();
      if (watch) {
        *io.out << "Every " << absl::FormatDuration(interval) << ": publisherctl feeds    "
                << absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", now, absl::UTCTimeZone())
                << "\n\n";
      }
      *io.out << FormatFeedsTable(status, now);
    }
    io.out->flush();
    if (!watch || (count > 0 && round >= count)) break;
    never.SleepFor(interval);
  }
  return kExitOk;
}

}  // namespace ocs_influx::client
