#include "client/status_command.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/connection.h"
#include "common/flags/flags.h"
#include "common/grpc_status/grpc_status.h"
#include "google/protobuf/util/json_util.h"

namespace ocs_influx::client {
namespace {

namespace v1 = ocs::influx::v1;

// Section titles flush left, then "label  value" rows with the values of
// the whole table in one column.
class Table {
 public:
  void Section(std::string title) { rows_.push_back({std::move(title), "", true}); }
  void Row(std::string label, std::string value) {
    rows_.push_back({std::move(label), std::move(value), false});
  }

  std::string Render() const {
    size_t width = 0;
    for (const Line& line : rows_) {
      if (!line.is_section) width = std::max(width, line.label.size());
    }
    std::string out;
    for (const Line& line : rows_) {
      if (line.is_section) {
        absl::StrAppend(&out, line.label, "\n");
      } else {
        absl::StrAppend(&out, "  ", line.label,
                        std::string(width - line.label.size() + 2, ' '),
                        line.value, "\n");
      }
    }
    return out;
  }

 private:
  struct Line {
    std::string label;
    std::string value;
    bool is_section;
  };
  std::vector<Line> rows_;
};

std::string YesNo(bool value) { return value ? "yes" : "no"; }

absl::Duration ToDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::string FormatDuration(absl::Duration d, absl::Duration precision) {
  return absl::FormatDuration(absl::Trunc(d, precision));
}

// An unset Timestamp and the epoch are the same message; neither is a real
// event time here.
bool IsSet(const google::protobuf::Timestamp& t) {
  return t.seconds() != 0 || t.nanos() != 0;
}

std::string FormatTime(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", ToTime(t),
                          absl::UTCTimeZone());
}

std::string FormatTimeAndAge(const google::protobuf::Timestamp& t,
                             absl::Time now) {
  if (!IsSet(t)) return "never";
  absl::Duration age = now - ToTime(t);
  if (age < absl::ZeroDuration()) {
    return absl::StrCat(FormatTime(t), " (in the future: clocks differ?)");
  }
  return absl::StrCat(FormatTime(t), " (",
                      FormatDuration(age, absl::Seconds(1)), " ago)");
}

std::string FormatBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

std::string StateName(v1::RecordingState state) {
  const std::string& name = v1::RecordingState_Name(state);
  if (state == v1::RECORDING_STATE_UNSPECIFIED || name.empty()) {
    return absl::StrCat("unknown (", static_cast<int>(state), ")");
  }
  return absl::AsciiStrToLower(name);
}

// OCS's OpCode enum, which operators know from ocs-web and `ocs-client`.
std::string OpCodeText(int32_t op_code) {
  const char* name = "?";
  switch (op_code) {
    case 1: name = "NONE"; break;
    case 2: name = "STARTING"; break;
    case 3: name = "RUNNING"; break;
    case 4: name = "STOPPING"; break;
    case 5: name = "SUCCEEDED"; break;
    case 6: name = "FAILED"; break;
    case 7: name = "EXPIRED"; break;
    case 8: name = "DEGRADED"; break;
  }
  return absl::StrCat(op_code, " (", name, ")");
}

std::string StateText(const v1::RecordingStatus& recording) {
  std::string text = StateName(recording.state());
  if (recording.has_success()) {
    absl::StrAppend(&text, recording.success() ? ", succeeded" : ", failed");
  }
  return text;
}

}  // namespace

std::string FormatRecordingLine(const v1::RecordingStatus& recording) {
  std::string line = absl::StrCat("recording: ", StateText(recording),
                                  ", op_code ", OpCodeText(recording.op_code()));
  if (recording.degraded()) {
    absl::StrAppend(&line, ", degraded (InfluxDB unreachable)");
  }
  absl::StrAppend(&line, ", session ", recording.session_id());
  if (recording.test_mode()) absl::StrAppend(&line, " (test mode)");
  if (IsSet(recording.start_time())) {
    absl::StrAppend(&line, ", started ", FormatTime(recording.start_time()));
  }
  if (IsSet(recording.end_time())) {
    absl::StrAppend(&line, ", ended ", FormatTime(recording.end_time()));
  }
  return line;
}

std::string FormatStatusTable(const v1::Status& status, absl::Time now) {
  Table table;
  const v1::RecordingStatus& recording = status.recording();
  table.Section("Recording");
  table.Row("state", StateText(recording));
  table.Row("op_code", OpCodeText(recording.op_code()));
  table.Row("degraded", recording.degraded()
                            ? "yes (InfluxDB unreachable; points wait in the spool)"
                            : "no");
  table.Row("session", absl::StrCat(recording.session_id(),
                                    recording.test_mode() ? " (test mode)" : ""));
  table.Row("started", FormatTimeAndAge(recording.start_time(), now));
  if (IsSet(recording.end_time())) {
    table.Row("ended", FormatTimeAndAge(recording.end_time(), now));
  }

  table.Section("Points");
  table.Row("accepted", absl::StrCat(status.points_accepted()));
  table.Row("written", absl::StrCat(status.points_written()));
  table.Row("dead-lettered", absl::StrCat(status.points_dead_lettered()));
  if (!status.dead_letter_file().empty()) {
    table.Row("dead-letter file", status.dead_letter_file());
  }
  if (status.dropped().empty()) table.Row("dropped", "none");
  for (const v1::DropCount& drop : status.dropped()) {
    table.Row(absl::StrCat("dropped ", drop.reason()),
              absl::StrCat(drop.count()));
  }

  const v1::SpoolStatus& spool = status.spool();
  table.Section("Spool");
  table.Row("points", absl::StrCat(spool.points()));
  std::string bytes = FormatBytes(spool.bytes());
  if (spool.max_bytes() > 0) {
    absl::StrAppend(&bytes, " / ", FormatBytes(spool.max_bytes()),
                    absl::StrFormat(" (%.1f%%)", 100.0 * spool.bytes() /
                                                     spool.max_bytes()));
  } else {
    absl::StrAppend(&bytes, " / no limit");
  }
  table.Row("bytes", bytes);
  table.Row("oldest age",
            spool.points() == 0
                ? "-"
                : FormatDuration(ToDuration(spool.oldest_age()),
                                 absl::Milliseconds(1)));
  table.Row("segments", absl::StrCat(spool.segments()));
  if (spool.recovered_truncations() > 0) {
    table.Row("recovered truncations",
              absl::StrCat(spool.recovered_truncations()));
  }
  if (spool.records_lost_to_damage() > 0) {
    table.Row("lost to damage",
              absl::StrCat(spool.records_lost_to_damage(), " records, ",
                           FormatBytes(spool.bytes_lost_to_damage())));
  }

  const v1::InfluxStatus& influx = status.influx();
  table.Section("InfluxDB");
  table.Row("url", influx.url());
  table.Row("database",
            influx.retention_policy().empty()
                ? influx.database()
                : absl::StrCat(influx.database(), " (retention policy ",
                               influx.retention_policy(), ")"));
  table.Row("connected", YesNo(influx.connected()));
  table.Row("last success", FormatTimeAndAge(influx.last_success(), now));
  if (influx.last_error().empty()) {
    table.Row("last error", "none");
  } else {
    table.Row("last error", influx.last_error());
    table.Row("last error at", FormatTimeAndAge(influx.last_error_time(), now));
  }

  const v1::WriteStats& writes = status.writes();
  table.Section("Writes");
  table.Row("batches", absl::StrCat(writes.batches_sent()));
  table.Row("retries", absl::StrCat(writes.retries()));
  table.Row("batches split", absl::StrCat(writes.batches_split()));
  table.Row("bytes raw", FormatBytes(writes.bytes_sent_raw()));
  table.Row("bytes compressed", FormatBytes(writes.bytes_sent_compressed()));
  table.Row("latency p50", FormatDuration(ToDuration(writes.latency_p50()),
                                          absl::Microseconds(1)));
  table.Row("latency p99", FormatDuration(ToDuration(writes.latency_p99()),
                                          absl::Microseconds(1)));

  table.Section("Publisher");
  table.Row("uptime",
            FormatDuration(ToDuration(status.uptime()), absl::Seconds(1)));
  table.Row("version", status.version().empty() ? "-" : status.version());
  return table.Render();
}

absl::StatusOr<std::string> StatusToJson(const v1::Status& status) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.add_whitespace = true;
  std::string json;
  auto converted =
      google::protobuf::util::MessageToJsonString(status, &json, options);
  if (!converted.ok()) {
    return absl::InternalError(absl::StrCat(
        "cannot print the status as JSON: ", converted.message().ToString()));
  }
  return json;
}

int RunStatus(const std::vector<std::string>& args, const CommandIo& io) {
  ConnectionOptions connection_options;
  bool json = false;
  flags::FlagSet flag_set(
      "publisherctl status [FLAGS]",
      "Shows the publisher's recording state, point counters, spool depth,\n"
      "InfluxDB connection and write statistics (GetStatus).");
  AddConnectionFlags(&flag_set, &connection_options,
                     "Deadline of the call; 0 means none.");
  flag_set.AddBool("json", &json,
                   "Print the Status message as JSON, every field included.");
  std::vector<std::string> positional;
  if (std::optional<int> exit =
          ParseCommandFlags(flag_set, args, "status", {}, &positional, io)) {
    return *exit;
  }
  absl::StatusOr<Connection> connection = Connection::Open(connection_options);
  if (!connection.ok()) return ReportFailure(io, "status", connection.status());

  grpc::ClientContext context;
  connection->PrepareCall(&context);
  v1::Status status;
  grpc::Status rpc = connection->stub().GetStatus(
      &context, v1::GetStatusRequest(), &status);
  if (!rpc.ok()) return ReportFailure(io, "status", FromGrpcStatus(rpc));

  if (json) {
    absl::StatusOr<std::string> text = StatusToJson(status);
    if (!text.ok()) return ReportFailure(io, "status", text.status());
    *io.out << *text;
    if (text->empty() || text->back() != '\n') *io.out << "\n";
  } else {
    *io.out << FormatStatusTable(status, absl::Now());
  }
  io.out->flush();
  return kExitOk;
}

}  // namespace ocs_influx::client
