#include "client/write_command.h"

#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/connection.h"
#include "client/line_batcher.h"
#include "client/paths.h"
#include "common/flags/flags.h"
#include "common/grpc_status/grpc_status.h"

namespace ocs_influx::client {
namespace {

namespace v1 = ocs::influx::v1;

v1::Precision PrecisionFromFlag(const std::string& text) {
  if (text == "us") return v1::PRECISION_MICROSECONDS;
  if (text == "ms") return v1::PRECISION_MILLISECONDS;
  if (text == "s") return v1::PRECISION_SECONDS;
  return v1::PRECISION_NANOSECONDS;
}

double PerSecond(uint64_t count, absl::Duration elapsed) {
  double seconds = absl::ToDoubleSeconds(elapsed);
  return seconds > 0 ? count / seconds : 0;
}

// One self-overwriting line on a terminal; nothing at all elsewhere.
class ProgressLine {
 public:
  ProgressLine(const CommandIo& io, absl::Time start)
      : io_(io), start_(start) {}

  void Update(uint64_t lines_sent) {
    if (!io_.err_is_terminal) return;
    absl::Time now = absl::Now();
    // More often is unreadable and costs more than it tells.
    if (shown_ && now - last_shown_ < absl::Milliseconds(200)) return;
    *io_.err << absl::StrFormat("\rsent %d lines, %.0f lines/s\x1b[K",
                                lines_sent, PerSecond(lines_sent, now - start_))
             << std::flush;
    shown_ = true;
    last_shown_ = now;
  }

  void Clear() {
    if (shown_) *io_.err << "\r\x1b[K" << std::flush;
    shown_ = false;
  }

 private:
  const CommandIo& io_;
  absl::Time start_;
  absl::Time last_shown_;
  bool shown_ = false;
};

}  // namespace

int RunWrite(const std::vector<std::string>& args, const CommandIo& io) {
  ConnectionOptions connection_options;
  // A stream lasts as long as its input, which no default can foresee.
  connection_options.timeout = absl::ZeroDuration();
  int64_t batch_lines = 5000;
  std::string precision = "ns";
  flags::FlagSet flag_set(
      "publisherctl write [FILE] [FLAGS]",
      "Sends InfluxDB line protocol from FILE (or standard input, also as\n"
      "'-') to the publisher in one WriteStream call, as messages of at most\n"
      "--batch-lines lines and 3 MiB; a line is never split. Each message is\n"
      "made durable on its own: if one is refused, the ones before it stay\n"
      "accepted and the error says how many. Prints what was accepted and\n"
      "dropped; on a terminal, shows progress on standard error.");
  AddConnectionFlags(&flag_set, &connection_options,
                     "Deadline of the whole stream; 0 means none.");
  flag_set.AddInt("batch-lines", &batch_lines, 1, 1000000,
                  "Lines per message at most.");
  flag_set.AddChoice("precision", &precision, {"ns", "us", "ms", "s"},
                     "Unit of the timestamps in the input: ns, us, ms or s.");
  std::vector<std::string> positional;
  if (std::optional<int> exit =
          ParseCommandFlags(flag_set, args, "write", {1, "FILE"}, &positional, io)) {
    return *exit;
  }

  std::ifstream file;
  std::istream* in = io.in;
  std::string input_name = "stdin";
  if (!positional.empty() && positional[0] != "-") {
    input_name = ResolveUserPath(positional[0]);
    file.open(input_name, std::ios::binary);
    if (!file) {
      return ReportFailure(
          io, "write",
          absl::NotFoundError(absl::StrCat("cannot open ", input_name)));
    }
    in = &file;
  }

  absl::StatusOr<Connection> connection = Connection::Open(connection_options);
  if (!connection.ok()) return ReportFailure(io, "write", connection.status());

  const absl::Time start = absl::Now();
  grpc::ClientContext context;
  connection->PrepareCall(&context);
  v1::WriteResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::WriteStreamRequest>> stream =
      connection->stub().WriteStream(&context, &response);

  LineBatcher batcher(in, static_cast<size_t>(batch_lines), kMaxBatchBytes);
  LineBatch batch;
  v1::WriteStreamRequest request;
  v1::WriteLinesRequest* lines = request.mutable_lines();
  lines->set_precision(PrecisionFromFlag(precision));
  uint64_t messages_sent = 0, lines_sent = 0, last_line_sent = 0;
  absl::Status input_error;
  bool stream_broken = false;
  ProgressLine progress(io, start);
  while (true) {
    absl::StatusOr<bool> next = batcher.Next(&batch);
    if (!next.ok()) {
      input_error = next.status();
      break;
    }
    if (!*next) break;
    // Swapping hands the batch's buffer to the message without a copy.
    lines->mutable_lines()->swap(batch.text);
    if (!stream->Write(request)) {
      // The server has ended the call; Finish says why.
      stream_broken = true;
      break;
    }
    ++messages_sent;
    lines_sent += batch.line_count;
    last_line_sent = batch.last_line;
    progress.Update(lines_sent);
  }
  // Messages already sent are accepted one by one, so even after an input
  // error the stream is closed normally to learn how many points that was.
  if (!stream_broken) stream->WritesDone();
  grpc::Status rpc = stream->Finish();
  const absl::Duration elapsed = absl::Now() - start;
  progress.Clear();

  const std::string sent =
      messages_sent == 0
          ? "nothing was sent"
          : absl::StrCat("lines 1-", last_line_sent, " were sent in ",
                         messages_sent, " messages");
  if (!rpc.ok()) {
    int exit_status = ReportFailure(io, "write", FromGrpcStatus(rpc));
    *io.err << "publisherctl: write: " << input_name << ": " << sent
            << " before the stream ended\n";
    return exit_status;
  }

  std::string summary = absl::StrFormat(
      "accepted %d points from %d lines in %d messages, %s, %.0f points/s\n",
      response.points_accepted(), lines_sent, messages_sent,
      absl::FormatDuration(absl::Trunc(elapsed, absl::Milliseconds(1))),
      PerSecond(response.points_accepted(), elapsed));
  for (const v1::DropCount& drop : response.dropped()) {
    absl::StrAppend(&summary, "dropped ", drop.reason(), ": ", drop.count(),
                    "\n");
  }
  *io.out << summary << std::flush;

  if (!input_error.ok()) {
    return ReportFailure(
        io, "write",
        absl::Status(input_error.code(),
                     absl::StrCat(input_name, ": ", input_error.message(),
                                  "; ", sent, " before it")));
  }
  return kExitOk;
}

}  // namespace ocs_influx::client
