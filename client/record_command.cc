#include "client/record_command.h"

#include "absl/strings/str_cat.h"
#include "client/connection.h"
#include "client/status_command.h"
#include "common/flags/flags.h"
#include "common/grpc_status/grpc_status.h"

namespace ocs_influx::client {
namespace {

namespace v1 = ocs::influx::v1;

constexpr char kRecordUsage[] =
    "Usage: publisherctl record start [--test-mode] [FLAGS]\n"
    "       publisherctl record stop [FLAGS]\n"
    "\n"
    "Starts or stops the publisher's `record` process, as OCS's\n"
    "`ops start record` / `ops stop record`, and prints the resulting state.\n"
    "Run 'publisherctl record start --help' for the flags.\n";

}  // namespace

int RunRecord(const std::vector<std::string>& args, const CommandIo& io) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    *(args.empty() ? io.err : io.out) << kRecordUsage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string action = args[0];
  if (action != "start" && action != "stop") {
    return ReportUsageError(
        io, "record",
        absl::StrCat("unknown action \"", action, "\"; expected start or stop"));
  }
  const std::string command = absl::StrCat("record ", action);

  ConnectionOptions connection_options;
  bool test_mode = false;
  flags::FlagSet flag_set(
      absl::StrCat("publisherctl ", command,
                   action == "start" ? " [--test-mode]" : "", " [FLAGS]"),
      action == "start"
          ? "Starts recording (StartRecording): the publisher accepts points\n"
            "from then on. Fails with FAILED_PRECONDITION if a recording is\n"
            "already starting, running or stopping."
          : "Stops recording (StopRecording). Points already accepted are\n"
            "still written to InfluxDB.");
  AddConnectionFlags(&flag_set, &connection_options,
                     "Deadline of the call; 0 means none.");
  if (action == "start") {
    flag_set.AddBool("test-mode", &test_mode,
                     "As OCS's record test_mode: run one publishing cycle, "
                     "then end done with success.");
  }
  std::vector<std::string> positional;
  std::vector<std::string> flag_args(args.begin() + 1, args.end());
  if (std::optional<int> exit =
          ParseCommandFlags(flag_set, flag_args, command, {}, &positional, io)) {
    return *exit;
  }
  absl::StatusOr<Connection> connection = Connection::Open(connection_options);
  if (!connection.ok()) return ReportFailure(io, command, connection.status());

  grpc::ClientContext context;
  connection->PrepareCall(&context);
  v1::RecordingStatus recording;
  grpc::Status rpc;
  if (action == "start") {
    v1::StartRecordingRequest request;
    request.set_test_mode(test_mode);
    rpc = connection->stub().StartRecording(&context, request, &recording);
  } else {
    rpc = connection->stub().StopRecording(
        &context, v1::StopRecordingRequest(), &recording);
  }
  if (!rpc.ok()) return ReportFailure(io, command, FromGrpcStatus(rpc));
  *io.out << FormatRecordingLine(recording) << "\n";
  io.out->flush();
  return kExitOk;
}

}  // namespace ocs_influx::client
