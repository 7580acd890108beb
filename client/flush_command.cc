#include "client/flush_command.h"

#include "absl/strings/str_cat.h"
#include "client/connection.h"
#include "common/flags/flags.h"
#include "common/grpc_status/grpc_status.h"

namespace ocs_influx::client {
namespace {

namespace v1 = ocs::influx::v1;

// The server answers "not complete" when its own timeout passes; the call's
// deadline must leave it time to say so, or the answer would be a bare
// DEADLINE_EXCEEDED without the pending count.
constexpr absl::Duration kAnswerMargin = absl::Seconds(5);

}  // namespace

int RunFlush(const std::vector<std::string>& args, const CommandIo& io) {
  ConnectionOptions connection_options;
  flags::FlagSet flag_set(
      "publisherctl flush [--timeout DURATION] [FLAGS]",
      "Waits until every point the publisher accepted before this call is in\n"
      "InfluxDB or in the dead-letter file (Flush), or until --timeout passes.\n"
      "Prints whether it completed and how many points are still pending;\n"
      "the exit status is 1 when it did not complete.");
  AddConnectionFlags(&flag_set, &connection_options,
                     "How long the publisher waits at most (the call's "
                     "deadline is a few seconds longer); 0 lets the "
                     "publisher choose (30s).");
  std::vector<std::string> positional;
  if (std::optional<int> exit =
          ParseCommandFlags(flag_set, args, "flush", {}, &positional, io)) {
    return *exit;
  }
  absl::StatusOr<Connection> connection = Connection::Open(connection_options);
  if (!connection.ok()) return ReportFailure(io, "flush", connection.status());

  v1::FlushRequest request;
  absl::Duration wait = connection_options.timeout;
  absl::Duration deadline = absl::ZeroDuration();
  if (wait > absl::ZeroDuration()) {
    int64_t nanos = absl::ToInt64Nanoseconds(wait);
    request.mutable_timeout()->set_seconds(nanos / 1000000000);
    request.mutable_timeout()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
    deadline = wait + kAnswerMargin;
  }
  grpc::ClientContext context;
  connection->PrepareCall(&context, deadline);
  v1::FlushResponse response;
  grpc::Status rpc = connection->stub().Flush(&context, request, &response);
  if (!rpc.ok()) return ReportFailure(io, "flush", FromGrpcStatus(rpc));
  *io.out << (response.complete() ? "complete" : "not complete") << ", "
          << response.points_pending() << " points pending\n";
  io.out->flush();
  return response.complete() ? kExitOk : kExitFailure;
}

}  // namespace ocs_influx::client
