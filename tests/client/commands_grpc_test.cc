// The commands against a real gRPC server in the test process, serving a
// small Publisher that records what it receives.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "client/cli.h"
#include "client/command_io.h"
#include "client/feeds_command.h"
#include "client/flush_command.h"
#include "client/record_command.h"
#include "client/status_command.h"
#include "client/write_command.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/publisher.grpc.pb.h"

namespace ocs_influx::client {
namespace {

namespace v1 = ocs::influx::v1;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kToken[] = "t0ken-never-printed";

class RecordingPublisher final : public v1::Publisher::Service {
 public:
  grpc::Status GetStatus(grpc::ServerContext* context,
                         const v1::GetStatusRequest*,
                         v1::Status* response) override {
    if (grpc::Status s = Authorize(context); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    *response = status_;
    return grpc::Status::OK;
  }

  grpc::Status StartRecording(grpc::ServerContext* context,
                              const v1::StartRecordingRequest* request,
                              v1::RecordingStatus* response) override {
    if (grpc::Status s = Authorize(context); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    start_requests_.push_back(*request);
    response->set_state(v1::RUNNING);
    response->set_op_code(3);
    response->set_session_id(1);
    response->set_test_mode(request->test_mode());
    return grpc::Status::OK;
  }

  grpc::Status StopRecording(grpc::ServerContext* context,
                             const v1::StopRecordingRequest*,
                             v1::RecordingStatus*) override {
    if (grpc::Status s = Authorize(context); !s.ok()) return s;
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "not recording");
  }

  grpc::Status Flush(grpc::ServerContext* context,
                     const v1::FlushRequest* request,
                     v1::FlushResponse* response) override {
    if (grpc::Status s = Authorize(context); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    flush_requests_.push_back(*request);
    flush_deadline_after_ = context->deadline() - std::chrono::system_clock::now();
    response->set_complete(false);
    response->set_points_pending(17);
    return grpc::Status::OK;
  }

  grpc::Status WriteStream(grpc::ServerContext* context,
                           grpc::ServerReader<v1::WriteStreamRequest>* reader,
                           v1::WriteResponse* response) override {
    if (grpc::Status s = Authorize(context); !s.ok()) return s;
    v1::WriteStreamRequest request;
    uint64_t accepted_messages = 0, points = 0;
    while (reader->Read(&request)) {
      absl::MutexLock lock(&mu_);
      if (refuse_message_ == accepted_messages + 1) {
        return grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat(accepted_messages,
                         " messages accepted; message ", refuse_message_,
                         ": line 1: no fields"));
      }
      written_.push_back(request);
      for (absl::string_view line :
           absl::StrSplit(request.lines().lines(), '\n')) {
        if (!line.empty() && line[0] != '#') ++points;
      }
      ++accepted_messages;
    }
    response->set_points_accepted(points);
    v1::DropCount* drop = response->add_dropped();
    drop->set_reason("non_finite_float");
    drop->set_count(1);
    return grpc::Status::OK;
  }

  void set_status(const v1::Status& status) {
    absl::MutexLock lock(&mu_);
    status_ = status;
  }
  void set_required_token(std::string token) {
    absl::MutexLock lock(&mu_);
    required_token_ = std::move(token);
  }
  void set_refuse_message(uint64_t message_number) {
    absl::MutexLock lock(&mu_);
    refuse_message_ = message_number;
  }
  std::vector<v1::WriteStreamRequest> written() {
    absl::MutexLock lock(&mu_);
    return written_;
  }
  std::vector<std::string> authorizations() {
    absl::MutexLock lock(&mu_);
    return authorizations_;
  }
  std::vector<v1::StartRecordingRequest> start_requests() {
    absl::MutexLock lock(&mu_);
    return start_requests_;
  }
  std::vector<v1::FlushRequest> flush_requests() {
    absl::MutexLock lock(&mu_);
    return flush_requests_;
  }
  std::chrono::system_clock::duration flush_deadline_after() {
    absl::MutexLock lock(&mu_);
    return flush_deadline_after_;
  }

 private:
  grpc::Status Authorize(grpc::ServerContext* context) {
    std::string authorization;
    auto found = context->client_metadata().find("authorization");
    if (found != context->client_metadata().end()) {
      authorization.assign(found->second.data(), found->second.size());
    }
    absl::MutexLock lock(&mu_);
    authorizations_.push_back(authorization);
    if (!required_token_.empty() &&
        authorization != absl::StrCat("Bearer ", required_token_)) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "missing or wrong bearer token");
    }
    return grpc::Status::OK;
  }

  absl::Mutex mu_;
  v1::Status status_;
  std::string required_token_;
  uint64_t refuse_message_ = 0;
  std::vector<v1::WriteStreamRequest> written_;
  std::vector<std::string> authorizations_;
  std::vector<v1::StartRecordingRequest> start_requests_;
  std::vector<v1::FlushRequest> flush_requests_;
  std::chrono::system_clock::duration flush_deadline_after_{};
};

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

std::string WriteTempFile(const std::string& name, const std::string& content) {
  std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  return path;
}

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&publisher_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    target_ = absl::StrCat("127.0.0.1:", port);
    token_file_ = WriteTempFile("token", absl::StrCat(kToken, "\n"));
  }

  void TearDown() override {
    // A deadline, so that a call the test left hanging cannot hold it up.
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() +
                        std::chrono::seconds(1));
    }
  }

  // Runs `run` with `args` plus --target; stdin is `input`.
  template <typename Command>
  int Run(Command run, std::vector<std::string> args,
          const std::string& input = "", bool err_is_terminal = false) {
    args.push_back("--target");
    args.push_back(target_);
    std::istringstream in(input);
    out_.str("");
    err_.str("");
    CommandIo io;
    io.in = &in;
    io.out = &out_;
    io.err = &err_;
    io.err_is_terminal = err_is_terminal;
    return run(args, io);
  }

  // publisherctl's argv[1..] as typed, no --target added.
  int RunCli(const std::vector<std::string>& args) {
    std::istringstream in;
    out_.str("");
    err_.str("");
    CommandIo io;
    io.in = &in;
    io.out = &out_;
    io.err = &err_;
    return RunPublisherctl(args, io);
  }

  RecordingPublisher publisher_;
  std::unique_ptr<grpc::Server> server_;
  std::string target_;
  std::string token_file_;
  std::ostringstream out_;
  std::ostringstream err_;
};

std::string NumberedLines(int count) {
  std::string text;
  for (int i = 1; i <= count; ++i) {
    absl::StrAppend(&text, "cpu,host=h", i % 3, " value=", i, "i ",
                    1700000000000 + i, "\n");
  }
  return text;
}

TEST_F(CommandsTest, WriteSendsEveryLineInOrderInBatchesWithTheToken) {
  const std::string input = NumberedLines(23);
  const std::string file = WriteTempFile("points.lp", input);
  ASSERT_EQ(Run(RunWrite,
                {file, "--batch-lines", "5", "--precision", "ms",
                 "--token-file", token_file_}),
            0)
      << err_.str();

  std::vector<v1::WriteStreamRequest> written = publisher_.written();
  ASSERT_EQ(written.size(), 5u);
  std::string received;
  std::vector<size_t> lines_per_message;
  for (const v1::WriteStreamRequest& message : written) {
    ASSERT_TRUE(message.has_lines());
    EXPECT_EQ(message.lines().precision(), v1::PRECISION_MILLISECONDS);
    const std::string& text = message.lines().lines();
    lines_per_message.push_back(std::count(text.begin(), text.end(), '\n'));
    received += text;
  }
  EXPECT_THAT(lines_per_message, ElementsAre(5, 5, 5, 5, 3));
  EXPECT_EQ(received, input);
  EXPECT_THAT(publisher_.authorizations(),
              ElementsAre(absl::StrCat("Bearer ", kToken)));

  EXPECT_THAT(out_.str(), HasSubstr("accepted 23 points from 23 lines in 5 messages"));
  EXPECT_THAT(out_.str(), HasSubstr("dropped non_finite_float: 1"));
  EXPECT_THAT(out_.str() + err_.str(), Not(HasSubstr(kToken)));
  // Not a terminal: no progress line.
  EXPECT_THAT(err_.str(), IsEmpty());
}

TEST_F(CommandsTest, WriteReadsStandardInputWithCrlfAndSendsNoTokenUnasked) {
  ASSERT_EQ(Run(RunWrite, {"-"}, "a v=1 1\r\nb v=2 2\r\nc v=3 3"), 0)
      << err_.str();
  std::vector<v1::WriteStreamRequest> written = publisher_.written();
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].lines().lines(), "a v=1 1\nb v=2 2\nc v=3 3\n");
  EXPECT_EQ(written[0].lines().precision(), v1::PRECISION_NANOSECONDS);
  EXPECT_THAT(publisher_.authorizations(), ElementsAre(""));
}

TEST_F(CommandsTest, WriteKeepsMessagesUnderTheByteLimit) {
  // 2000 lines of ~2 KiB: about 4 MiB, more than one message may carry.
  std::string input;
  const std::string payload(2000, 'x');
  for (int i = 0; i < 2000; ++i) {
    absl::StrAppend(&input, "log,n=", i, " text=\"", payload, "\"\n");
  }
  ASSERT_EQ(Run(RunWrite, {"--batch-lines", "100000"}, input), 0)
      << err_.str();
  std::vector<v1::WriteStreamRequest> written = publisher_.written();
  ASSERT_GE(written.size(), 2u);
  std::string received;
  for (const v1::WriteStreamRequest& message : written) {
    EXPECT_LE(message.lines().lines().size(), size_t{3} << 20);
    received += message.lines().lines();
  }
  EXPECT_EQ(received, input);
}

TEST_F(CommandsTest, WriteReportsTheServersErrorAndWhatWasSent) {
  publisher_.set_refuse_message(3);
  EXPECT_EQ(Run(RunWrite, {"--batch-lines", "2"}, NumberedLines(10)), 1);
  EXPECT_THAT(err_.str(),
              HasSubstr("publisherctl: write: INVALID_ARGUMENT: 2 messages "
                        "accepted; message 3: line 1: no fields\n"));
  EXPECT_THAT(err_.str(), HasSubstr("publisherctl: write: stdin: lines 1-"));
  EXPECT_EQ(publisher_.written().size(), 2u);
}

TEST_F(CommandsTest, WriteShowsProgressOnATerminalAndClearsIt) {
  ASSERT_EQ(Run(RunWrite, {"--batch-lines", "2"}, NumberedLines(5), true), 0)
      << err_.str();
  EXPECT_THAT(err_.str(), HasSubstr("\rsent 2 lines, "));
  EXPECT_THAT(err_.str(), testing::EndsWith("\r\x1b[K"));
  EXPECT_THAT(out_.str(), HasSubstr("accepted 5 points"));
}

TEST_F(CommandsTest, WriteStopsAtALineTooLongForAMessage) {
  std::string input = NumberedLines(3) + std::string(4 << 20, 'x') + "\n" +
                      NumberedLines(2);
  EXPECT_EQ(Run(RunWrite, {"--batch-lines", "2"}, input), 1);
  EXPECT_THAT(err_.str(),
              HasSubstr("publisherctl: write: INVALID_ARGUMENT: stdin: line 4 "
                        "is longer than one message may carry"));
  // What came before it was sent, and the summary says what was accepted.
  std::vector<v1::WriteStreamRequest> written = publisher_.written();
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0].lines().lines() + written[1].lines().lines(),
            NumberedLines(3));
  EXPECT_THAT(out_.str(), HasSubstr("accepted 3 points"));
}

TEST_F(CommandsTest, WriteOfAMissingFileFailsNamingIt) {
  EXPECT_EQ(Run(RunWrite, {TempPath("no-such-file.lp")}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("publisherctl: write: NOT_FOUND: "));
  EXPECT_THAT(err_.str(), HasSubstr("no-such-file.lp"));
}

TEST_F(CommandsTest, WriteUsageErrorsExitTwo) {
  EXPECT_EQ(Run(RunWrite, {"--precision", "minutes"}), 2);
  EXPECT_EQ(Run(RunWrite, {"a.lp", "b.lp"}), 2);
}

v1::Status FeedsStatus(absl::Time now) {
  v1::Status status;
  auto add = [&](const char* m, const char* f, bool stale, absl::Duration ago,
                 uint64_t accepted) {
    auto* feed = status.add_feeds();
    feed->set_measurement(m);
    feed->set_feed(f);
    feed->set_stale(stale);
    feed->set_points_accepted(accepted);
    feed->set_points_written(accepted - 1);
    feed->set_points_per_second(1.5);
    feed->mutable_last_arrival()->set_seconds(absl::ToUnixSeconds(now - ago));
    feed->mutable_last_point_time()->set_seconds(1700000000);
  };
  // In GetStatus's order (most recent first); the table sorts by staleness.
  add("observatory.alive1", "temps", false, absl::Seconds(1), 10);
  add("observatory.alive2", "", false, absl::Seconds(3), 20);
  add("observatory.quiet1", "hk", true, absl::Seconds(90), 30);
  add("observatory.quiet2", "hk", true, absl::Seconds(300), 40);
  status.set_feeds_not_tracked(5);
  status.set_points_not_tracked(6);
  status.mutable_stale_after()->set_seconds(60);
  return status;
}

TEST_F(CommandsTest, FeedsTableListsStaleFeedsFirst) {
  publisher_.set_status(FeedsStatus(absl::Now()));
  ASSERT_EQ(Run(RunFeeds, {}), 0) << err_.str();
  std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n');
  ASSERT_GE(lines.size(), 7u) << out_.str();
  EXPECT_THAT(lines[0], HasSubstr("MEASUREMENT"));
  EXPECT_THAT(lines[1], HasSubstr("observatory.quiet2"));  // silent longest
  EXPECT_THAT(lines[1], HasSubstr("STALE"));
  EXPECT_THAT(lines[1], HasSubstr("5m ago"));
  EXPECT_THAT(lines[2], HasSubstr("observatory.quiet1"));
  EXPECT_THAT(lines[3], HasSubstr("observatory.alive1"));
  EXPECT_THAT(lines[3], HasSubstr(" ok "));
  EXPECT_THAT(lines[3], HasSubstr("1.50"));
  EXPECT_THAT(lines[3], HasSubstr("2023-11-14 22:13:20 UTC"));
  EXPECT_THAT(lines[4], HasSubstr("observatory.alive2"));
  EXPECT_THAT(out_.str(), HasSubstr("4 feeds, 2 stale (nothing for 1m)"));
  EXPECT_THAT(out_.str(), HasSubstr("5 arrivals of untracked feeds, 6 points"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("\033[H")));
}

TEST_F(CommandsTest, FeedsJsonParsesBackInTheTablesOrder) {
  publisher_.set_status(FeedsStatus(absl::Now()));
  ASSERT_EQ(Run(RunFeeds, {"--json"}), 0) << err_.str();
  v1::Status parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out_.str(), &parsed).ok())
      << out_.str();
  ASSERT_EQ(parsed.feeds_size(), 4);
  EXPECT_EQ(parsed.feeds(0).measurement(), "observatory.quiet2");
  EXPECT_TRUE(parsed.feeds(0).stale());
  EXPECT_EQ(parsed.feeds(0).points_accepted(), 40u);
  EXPECT_EQ(parsed.feeds(0).points_written(), 39u);
  EXPECT_EQ(parsed.feeds(3).measurement(), "observatory.alive2");
  EXPECT_EQ(parsed.feeds_not_tracked(), 5u);
  EXPECT_EQ(parsed.points_not_tracked(), 6u);
  EXPECT_EQ(parsed.stale_after().seconds(), 60);
  // Every field printed, zeros included.
  EXPECT_THAT(out_.str(), HasSubstr("\"pointsDeadLettered\": \"0\""));
}

TEST_F(CommandsTest, FeedsWatchRedrawsInPlace) {
  publisher_.set_status(FeedsStatus(absl::Now()));
  ASSERT_EQ(Run(RunFeeds, {"--watch", "--interval", "10ms", "--count", "3"}), 0)
      << err_.str();
  const std::string out = out_.str();
  size_t clears = 0;
  for (size_t pos = out.find("\033[H\033[2J"); pos != std::string::npos;
       pos = out.find("\033[H\033[2J", pos + 1)) {
    ++clears;
  }
  EXPECT_EQ(clears, 3u);
  EXPECT_THAT(out, HasSubstr("Every 10ms: publisherctl feeds"));
  EXPECT_EQ(Run(RunFeeds, {"--watch", "--interval", "0s"}), 2);
}

TEST_F(CommandsTest, FeedsIsInTheHelpAndTheCompletion) {
  ASSERT_EQ(RunCli({"--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("feeds [--json] [--watch]"));
  ASSERT_EQ(RunCli({"completion", "bash"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("feeds"));
  EXPECT_THAT(out_.str(), HasSubstr("--watch"));
}

TEST_F(CommandsTest, StatusPrintsTheTableWithTheToken) {
  v1::Status status;
  status.mutable_recording()->set_state(v1::RUNNING);
  status.mutable_recording()->set_op_code(3);
  status.set_points_accepted(4242);
  status.mutable_influx()->set_url("http://influx:8086");
  status.set_version("9.9.9");
  publisher_.set_status(status);
  publisher_.set_required_token(kToken);

  ASSERT_EQ(Run(RunStatus, {"--token-file", token_file_}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("running"));
  EXPECT_THAT(out_.str(), HasSubstr("4242"));
  EXPECT_THAT(out_.str(), HasSubstr("http://influx:8086"));
  EXPECT_THAT(out_.str(), HasSubstr("9.9.9"));
  EXPECT_THAT(publisher_.authorizations(),
              ElementsAre(absl::StrCat("Bearer ", kToken)));
}

TEST_F(CommandsTest, StatusJsonParsesBack) {
  v1::Status status;
  status.set_points_written(77);
  status.set_version("1.2.3");
  publisher_.set_status(status);
  ASSERT_EQ(Run(RunStatus, {"--json"}), 0) << err_.str();
  v1::Status parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(out_.str(), &parsed).ok())
      << out_.str();
  EXPECT_EQ(parsed.points_written(), 77u);
  EXPECT_EQ(parsed.version(), "1.2.3");
}

TEST_F(CommandsTest, StatusWithoutTheTokenReportsUnauthenticated) {
  publisher_.set_required_token(kToken);
  EXPECT_EQ(Run(RunStatus, {}), 1);
  EXPECT_EQ(err_.str(),
            "publisherctl: status: UNAUTHENTICATED: missing or wrong bearer "
            "token\n");
}

TEST_F(CommandsTest, RecordStartSendsTestModeAndPrintsOneLine) {
  ASSERT_EQ(Run(RunRecord, {"start", "--test-mode"}), 0) << err_.str();
  ASSERT_EQ(publisher_.start_requests().size(), 1u);
  EXPECT_TRUE(publisher_.start_requests()[0].test_mode());
  EXPECT_EQ(out_.str(),
            "recording: running, op_code 3 (RUNNING), session 1 (test mode)\n");
}

TEST_F(CommandsTest, RecordStopFailureUsesTheCodeName) {
  EXPECT_EQ(Run(RunRecord, {"stop"}), 1);
  EXPECT_EQ(err_.str(),
            "publisherctl: record stop: FAILED_PRECONDITION: not recording\n");
}

TEST_F(CommandsTest, FlushSendsItsTimeoutAndFailsWhenNotComplete) {
  EXPECT_EQ(Run(RunFlush, {"--timeout", "2s"}), 1);
  EXPECT_EQ(out_.str(), "not complete, 17 points pending\n");
  ASSERT_EQ(publisher_.flush_requests().size(), 1u);
  EXPECT_EQ(publisher_.flush_requests()[0].timeout().seconds(), 2);
  // The call outlives the server's wait, so the server can answer.
  EXPECT_GT(publisher_.flush_deadline_after(), std::chrono::seconds(2));
}

TEST_F(CommandsTest, UnreachableServerIsUnavailable) {
  server_->Shutdown();
  server_.reset();
  EXPECT_EQ(Run(RunStatus, {"--timeout", "5s"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("publisherctl: status: UNAVAILABLE: "));
}

TEST_F(CommandsTest, ConnectionFlagsBeforeTheCommand) {
  v1::Status status;
  status.set_points_accepted(4242);
  publisher_.set_status(status);
  ASSERT_EQ(RunCli({"--target", target_, "status"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("4242"));
}

TEST_F(CommandsTest, ConnectionFlagsBeforeATwoWordCommandWithEqualsAndToken) {
  publisher_.set_required_token(kToken);
  ASSERT_EQ(RunCli({"--target=" + target_, "--token-file", token_file_,
                    "record", "start", "--test-mode"}),
            0)
      << err_.str();
  ASSERT_EQ(publisher_.start_requests().size(), 1u);
  EXPECT_TRUE(publisher_.start_requests()[0].test_mode());
  EXPECT_THAT(publisher_.authorizations(),
              ElementsAre(absl::StrCat("Bearer ", kToken)));
}

TEST_F(CommandsTest, ConnectionFlagBeforeTheCommandTakesItsValue) {
  EXPECT_EQ(RunCli({"--target", target_, "--timeout", "2s", "flush"}), 1);
  ASSERT_EQ(publisher_.flush_requests().size(), 1u);
  EXPECT_EQ(publisher_.flush_requests()[0].timeout().seconds(), 2);
}

TEST_F(CommandsTest, ConnectionFlagAfterTheCommandWins) {
  ASSERT_EQ(RunCli({"--target", "127.0.0.1:1", "--timeout", "5s", "status",
                    "--target", target_}),
            0)
      << err_.str();
}

TEST_F(CommandsTest, OnlyConnectionFlagsMayComeBeforeTheCommand) {
  EXPECT_EQ(RunCli({"--json", "status"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--json is not a connection flag"));
  EXPECT_EQ(RunCli({"--target", target_}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("Usage: publisherctl"));
  EXPECT_EQ(RunCli({"status", "--target"}), 2);
  EXPECT_EQ(RunCli({"--target"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("flag --target needs a value"));
  EXPECT_EQ(RunCli({"--target", target_, "launch"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("unknown command \"launch\""));
}

TEST_F(CommandsTest, TopLevelHelpListsEveryCommandOfTheTable) {
  ASSERT_EQ(RunCli({"--help"}), 0);
  for (const CommandSpec& spec : Commands()) {
    EXPECT_THAT(out_.str(), HasSubstr(absl::StrCat(
                                "  ", absl::StrJoin(spec.words, " "))));
  }
  EXPECT_THAT(out_.str(), HasSubstr("[CONNECTION FLAGS] COMMAND"));
}

TEST_F(CommandsTest, CommandFlagsComeFromEachCommandsHelp) {
  for (const CommandSpec& spec : Commands()) {
    std::vector<std::string> names;
    for (const FlagName& flag : CommandFlags(spec)) names.push_back(flag.name);
    std::string name = absl::StrJoin(spec.words, " ");
    EXPECT_THAT(names, Contains("help")) << name;
    if (spec.connects) {
      EXPECT_THAT(names, Contains("target")) << name;
      EXPECT_THAT(names, Contains("token-file")) << name;
    }
    if (name == "status") {
      EXPECT_THAT(names, Contains("json"));
    }
    if (name == "record start") {
      EXPECT_THAT(names, Contains("test-mode"));
    }
    if (name == "write") {
      EXPECT_THAT(names, Contains("precision"));
    }
  }
}

}  // namespace
}  // namespace ocs_influx::client
