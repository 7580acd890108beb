#include "ocs_adapter/agent.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "ocs_adapter/feed_filter.h"

namespace ocs_influx::ocs_adapter {
namespace {

namespace v1 = ocs::influx::v1;

constexpr char kOpName[] = "record";
constexpr char kRecordDoc[] =
    "record(test_mode=False)\n\n"
    "**Process** - Record data from all recorded OCS feeds into InfluxDB.\n\n"
    "Parameters:\n"
    "    test_mode (bool, optional): Run the Process loop only once.\n"
    "        This is meant only for testing. Default is False.\n\n"
    "Notes:\n"
    "    Points are made durable in the publisher's spool before they are\n"
    "    written, so an InfluxDB outage loses nothing.";

double Seconds(const google::protobuf::Timestamp& t) {
  return static_cast<double>(t.seconds()) + t.nanos() * 1e-9;
}

const char* StatusName(v1::RecordingState state) {
  switch (state) {
    case v1::STARTING: return "starting";
    case v1::RUNNING: return "running";
    case v1::STOPPING: return "stopping";
    case v1::DONE: return "done";
    default: return "starting";
  }
}

bool HasSession(const v1::Status& status) {
  return status.recording().state() != v1::IDLE &&
         status.recording().state() != v1::RECORDING_STATE_UNSPECIFIED;
}

uint64_t DroppedTotal(const v1::Status& status) {
  uint64_t total = 0;
  for (const auto& d : status.dropped()) total += d.count();
  return total;
}

// The filter and what it kept out of this publisher.
Value FeedFilterData(const FeedFilter* filter) {
  auto list = [](const std::vector<std::string>* patterns) {
    std::vector<Value> items;
    if (patterns != nullptr) {
      for (const std::string& p : *patterns) items.push_back(Str(p));
    }
    return List(std::move(items));
  };
  return Dict({
      {"feeds", list(filter != nullptr ? &filter->feeds() : nullptr)},
      {"exclude_feeds", list(filter != nullptr ? &filter->exclude_feeds() : nullptr)},
      {"publications_skipped",
       Int(static_cast<int64_t>(filter != nullptr ? filter->publications_skipped() : 0))},
      {"points_skipped",
       Int(static_cast<int64_t>(filter != nullptr ? filter->points_skipped() : 0))},
  });
}

Agent::OpsOutcome ErrorOutcome(std::string uri, std::string message) {
  Agent::OpsOutcome outcome;
  outcome.error_uri = std::move(uri);
  outcome.error_message = std::move(message);
  return outcome;
}

const Value* PositionalOrKeyword(const std::vector<Value>& args, size_t index,
                                 const Value& kwargs, const char* name) {
  if (args.size() > index) return &args[index];
  return kwargs.type == Value::Type::kObject ? kwargs.Find(name) : nullptr;
}

}  // namespace


Agent::Agent(AgentIdentity identity, RecordControl* control,
             const AdapterCounters* counters, AccessControl* access)
    : identity_(std::move(identity)), control_(control), counters_(counters), access_(access) {}

std::optional<Value> Agent::AccessRefusal(const Password& password, bool internal,
                                          int* level) const {
  // The record process is registered without min_privs: OCS makes that 1.
  constexpr int kRecordMinPrivs = kCredBasic;
  Creds creds = access_ != nullptr ? access_->GetCreds(password, internal)
                                   : Creds{kCredBasic, ""};
  *level = creds.level;
  if (creds.level >= kRecordMinPrivs) return std::nullopt;
  return Reply(kError, RejectionMessage(creds.level, kRecordMinPrivs, creds.detail), Dict());
}

int Agent::SessionCredLevel(int64_t session_id) const {
  if (session_id == started_session_id_) return started_cred_level_;
  // Started by the agent itself (--initial-state record) or over gRPC (the
  // bearer token's holder): the super-user, as OCS's start-up ops.
  return access_ != nullptr ? access_->GetCreds(Password(), true).level : kCredBasic;
}

Value Agent::Reply(int code, std::string message, Value session) const {
  return List({Int(code), Str(std::move(message)), std::move(session)});
}

Value Agent::EncodedSession(const v1::Status& status) const {
  const v1::RecordingStatus& r = status.recording();
  std::vector<Value> messages;
  for (const auto& m : r.messages()) {
    messages.push_back(List({Double(Seconds(m.time())), Str(m.text())}));
  }
  Value dropped = Dict();
  for (const auto& d : status.dropped()) {
    dropped.members.emplace_back(d.reason(), Int(static_cast<int64_t>(d.count())));
  }
  auto count = [](uint64_t n) { return Int(static_cast<int64_t>(n)); };
  Value refused = Dict();
  for (int i = 0; i < static_cast<int>(Refusal::kCount); ++i) {
    refused.members.emplace_back(RefusalName(static_cast<Refusal>(i)),
                                 count(counters_->publications_refused[i].load()));
  }
  Value data = Dict({
      {"connected", Bool(status.influx().connected())},
      {"last_updated", Double(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()))},
      {"points_accepted", count(status.points_accepted())},
      {"points_written", count(status.points_written())},
      {"points_dead_lettered", count(status.points_dead_lettered())},
      {"points_dropped", count(DroppedTotal(status) +
                               counters_->points_not_recording.load() +
                               counters_->points_refused.load())},
      {"dropped_by_reason", std::move(dropped)},
      {"spool_points", count(status.spool().points())},
      {"spool_bytes", count(status.spool().bytes())},
      {"events_received", count(counters_->events_received.load())},
      {"events_malformed", count(counters_->events_malformed.load())},
      {"points_not_recording", count(counters_->points_not_recording.load())},
      {"publications_refused", std::move(refused)},
      {"dead_letters_not_written", count(counters_->dead_letters_not_written.load())},
      {"publisher_waiting", Bool(counters_->publisher_waiting.load())},
      {"feed_filter", FeedFilterData(counters_->feed_filter)},
      {"last_error", Str(status.influx().last_error())},
  });
  return Dict({
      {"session_id", Int(r.session_id())},
      {"op_name", Str(kOpName)},
      {"op_code", Int(r.op_code())},
      {"cred_level", Int(SessionCredLevel(r.session_id()))},
      {"status", Str(StatusName(r.state()))},
      {"degraded", Bool(r.degraded())},
      {"success", r.has_success() ? Bool(r.success()) : Null()},
      {"start_time", Double(Seconds(r.start_time()))},
      {"end_time", r.has_end_time() ? Double(Seconds(r.end_time())) : Null()},
      {"data", std::move(data)},
      {"messages", List(std::move(messages))},
  });
}

Agent::OpsOutcome Agent::Ops(const std::vector<Value>& args, const Value& kwargs,
                             bool internal) {
  if (args.size() < 2 || args[0].type != Value::Type::kString ||
      args[1].type != Value::Type::kString) {
    return ErrorOutcome("wamp.error.invalid_argument",
                        "ops takes (action, op_name, params=None, timeout=None)");
  }
  const std::string& action = args[0].string_value;
  const std::string& op_name = args[1].string_value;
  OpsOutcome outcome;
  if (op_name != kOpName) {
    if (action == "wait") {
      outcome.reply = Reply(kError, absl::StrCat("Unknown operation \"", op_name, "\"."), Dict());
    } else if (action == "stop") {
      outcome.reply = Reply(kError, absl::StrCat("No process called \"", op_name, "\"."), Dict());
    } else {
      outcome.reply = Reply(kError, absl::StrCat("No task or process called \"", op_name, "\""),
                            Dict());
    }
    return outcome;
  }
  // The password never leaves this function but as a level.
  const Password password =
      Password::FromValue(PositionalOrKeyword(args, 4, kwargs, "password"));
  if (action == "start") {
    return Start(PositionalOrKeyword(args, 2, kwargs, "params"), password, internal);
  }
  if (action == "stop") {
    int level = 0;
    if (std::optional<Value> refused = AccessRefusal(password, internal, &level)) {
      outcome.reply = std::move(*refused);
      return outcome;
    }
    return Stop();
  }
  if (action == "wait") return Wait(PositionalOrKeyword(args, 3, kwargs, "timeout"));
  if (action == "status") return StatusReply();
  if (action == "abort") {
    int level = 0;
    if (std::optional<Value> refused = AccessRefusal(password, internal, &level)) {
      outcome.reply = std::move(*refused);
      return outcome;
    }
    outcome.reply = Reply(kError, absl::StrCat("No implementation for operation \"", op_name, "\""),
                          Dict());
    return outcome;
  }
  outcome.reply = Reply(kError, absl::StrCat("No action called \"", action, "\"."), Dict());
  return outcome;
}

Agent::OpsOutcome Agent::Start(const Value* params, const Password& password, bool internal) {
  OpsOutcome outcome;
  // OCS's start() looks for a running session before it checks the params.
  absl::StatusOr<v1::Status> before = control_->GetStatus();
  if (!before.ok()) {
    outcome.reply = Reply(kError, absl::StrCat("Publisher unreachable: ", before.status().message()),
                          Dict());
    return outcome;
  }
  v1::RecordingState state = before->recording().state();
  if (state == v1::STARTING || state == v1::RUNNING || state == v1::STOPPING) {
    outcome.reply = Reply(kError, "Operation \"record\" already in progress.",
                          EncodedSession(*before));
    return outcome;
  }
  // OCS checks the caller's level after the in-progress check, before the
  // params.
  int level = 0;
  if (std::optional<Value> refused = AccessRefusal(password, internal, &level)) {
    outcome.reply = std::move(*refused);
    return outcome;
  }
  bool test_mode = false;
  if (params != nullptr && params->type != Value::Type::kNull) {
    if (params->type != Value::Type::kObject) {
      outcome.reply = Reply(kError, "params must be a dict.", Dict());
      return outcome;
    }
    // As OCS's ParamHandler.batch: the declared param first (None counts as
    // unset: the default, False), then the strays.
    if (const Value* v = params->Find("test_mode");
        v != nullptr && v->type != Value::Type::kNull) {
      if (v->type != Value::Type::kBool) {
        // ParamHandler formats the value with f"{value}", i.e. str(): a
        // string appears bare (=yes), everything else as its repr.
        outcome.reply = Reply(
            kError,
            absl::StrCat("Param 'test_mode'=",
                         v->type == Value::Type::kString ? v->string_value : PythonRepr(*v),
                         " is not of required type (<class 'bool'>)"),
            Dict());
        return outcome;
      }
      test_mode = v->bool_value;
    }
    std::vector<std::string> unexpected;
    for (const auto& [key, value] : params->members) {
      // OCS prints the Python list of the stray keys: ['x', 'y'].
      if (key != "test_mode") unexpected.push_back(PythonRepr(Str(key)));
    }
    if (!unexpected.empty()) {
      outcome.reply = Reply(
          kError,
          absl::StrCat("params included unexpected values: [", absl::StrJoin(unexpected, ", "),
                       "]"),
          Dict());
      return outcome;
    }
  }
  absl::StatusOr<v1::RecordingStatus> started = control_->StartRecording(test_mode);
  if (started.ok()) {
    started_session_id_ = started->session_id();
    started_cred_level_ = level;
  }
  absl::StatusOr<v1::Status> after = control_->GetStatus();
  if (!started.ok() || !after.ok()) {
    absl::Status s = started.ok() ? after.status() : started.status();
    outcome.reply = Reply(kError, absl::StrCat("Could not start: ", s.message()),
                          after.ok() ? EncodedSession(*after) : Dict());
    return outcome;
  }
  outcome.reply = Reply(kOk, "Started process \"record\".", EncodedSession(*after));
  return outcome;
}

Agent::OpsOutcome Agent::Stop() {
  OpsOutcome outcome;
  absl::StatusOr<v1::Status> status = control_->GetStatus();
  if (!status.ok()) {
    outcome.reply = Reply(kError, absl::StrCat("Publisher unreachable: ", status.status().message()),
                          Dict());
    return outcome;
  }
  if (!HasSession(*status)) {
    outcome.reply = Reply(kError, "No session active.", Dict());
    return outcome;
  }
  v1::RecordingState state = status->recording().state();
  if (state == v1::STOPPING || state == v1::DONE) {
    // OCS's _stop_helper answers this one with {}, not the session.
    outcome.reply = Reply(kError, absl::StrCat("The operation is already ", StatusName(state)),
                          Dict());
    return outcome;
  }
  absl::StatusOr<v1::RecordingStatus> stopped = control_->StopRecording();
  absl::StatusOr<v1::Status> after = control_->GetStatus();
  if (!stopped.ok()) {
    outcome.reply = Reply(kError, absl::StrCat("Could not stop: ", stopped.status().message()),
                          after.ok() ? EncodedSession(*after) : Dict());
    return outcome;
  }
  outcome.reply = Reply(kOk, "Requested stop on process \"record\".",
                        after.ok() ? EncodedSession(*after) : Dict());
  return outcome;
}

Agent::OpsOutcome Agent::Wait(const Value* timeout) {
  OpsOutcome outcome;
  absl::Time deadline = absl::InfiniteFuture();
  if (timeout != nullptr && timeout->type != Value::Type::kNull) {
    double seconds;
    if (timeout->type == Value::Type::kInt) {
      seconds = static_cast<double>(timeout->int_value);
    } else if (timeout->type == Value::Type::kDouble) {
      seconds = timeout->double_value;
    } else {
      return ErrorOutcome("wamp.error.invalid_argument", "timeout must be a number or None");
    }
    deadline = seconds <= 0 ? absl::InfinitePast() : absl::Now() + absl::Seconds(seconds);
  }
  std::optional<Value> reply = PollWait(deadline);
  if (reply.has_value()) {
    outcome.reply = std::move(*reply);
    return outcome;
  }
  outcome.pending_wait = true;
  outcome.wait_deadline = deadline;
  return outcome;
}

std::optional<Value> Agent::PollWait(absl::Time deadline) {
  absl::StatusOr<v1::Status> status = control_->GetStatus();
  if (!status.ok()) {
    return Reply(kError, absl::StrCat("Publisher unreachable: ", status.status().message()),
                 Dict());
  }
  if (!HasSession(*status)) return Reply(kOk, "Idle.", Dict());
  if (status->recording().state() == v1::DONE) {
    return Reply(kOk,
                 absl::StrCat("Operation \"record\" is currently not running (",
                              status->recording().success() ? "SUCCEEDED" : "FAILED", ")."),
                 EncodedSession(*status));
  }
  if (absl::Now() >= deadline) {
    return Reply(kTimeout, "Operation \"record\" still running; wait timed out.",
                 EncodedSession(*status));
  }
  return std::nullopt;
}

Agent::OpsOutcome Agent::StatusReply() {
  OpsOutcome outcome;
  absl::StatusOr<v1::Status> status = control_->GetStatus();
  if (!status.ok()) {
    outcome.reply = Reply(kError, absl::StrCat("Publisher unreachable: ", status.status().message()),
                          Dict());
  } else if (!HasSession(*status)) {
    outcome.reply = Reply(kOk, "No session active.", Dict());
  } else {
    outcome.reply = Reply(kOk, "Session active.", EncodedSession(*status));
  }
  return outcome;
}

Value Agent::ProcessesList(const std::optional<v1::Status>& status) const {
  Value session = status.has_value() && HasSession(*status)
                      ? EncodedSession(*status)
                      : Dict({{"op_name", Str(kOpName)}, {"status", Str("no_history")}});
  Value op_info = Dict({{"blocking", Bool(true)},
                        {"docstring", Str(kRecordDoc)},
                        {"op_type", Str("process")},
                        {"min_privs", Int(1)}});
  return List({List({Str(kOpName), std::move(session), std::move(op_info)})});
}

Agent::OpsOutcome Agent::Management(const std::vector<Value>& args) {
  OpsOutcome outcome;
  if (args.empty() || args[0].type != Value::Type::kString) {
    return ErrorOutcome("wamp.error.invalid_argument", "management takes (q)");
  }
  const std::string& q = args[0].string_value;
  std::optional<v1::Status> status;
  if (q == "get_api" || q == "get_processes") {
    absl::StatusOr<v1::Status> s = control_->GetStatus();
    if (s.ok()) status = *s;
  }
  Value feeds = List({List({Str("heartbeat"), EncodedHeartbeatFeed()})});
  if (q == "get_api") {
    outcome.reply = Dict({
        {"tasks", List()},
        {"processes", ProcessesList(status)},
        {"feeds", std::move(feeds)},
        {"agent_class", Str(identity_.agent_class)},
        {"instance_hostname", Str(identity_.hostname)},
        {"instance_pid", Int(identity_.pid)},
        {"access_control", access_ != nullptr ? access_->ApiValue()
                                              : AccessControl(AccessPolicy(), {}).ApiValue()},
    });
  } else if (q == "get_tasks") {
    outcome.reply = List();
  } else if (q == "get_processes") {
    outcome.reply = ProcessesList(status);
  } else if (q == "get_feeds") {
    outcome.reply = std::move(feeds);
  } else if (q == "get_agent_class") {
    outcome.reply = Str(identity_.agent_class);
  } else {
    return ErrorOutcome("wamp.error.invalid_argument",
                        absl::StrCat("Unknown management query \"", q, "\""));
  }
  return outcome;
}

Value Agent::HeartbeatMessage() {
  absl::StatusOr<v1::Status> status = control_->GetStatus();
  if (status.ok()) last_op_code_ = status->recording().op_code();
  return Dict({{kOpName, Int(last_op_code_)}});
}

Value Agent::EncodedHeartbeatFeed() const {
  return Dict({
      {"agent_address", Str(identity_.address)},
      {"agg_params", Dict()},
      {"feed_name", Str("heartbeat")},
      {"address", Str(absl::StrCat(identity_.address, ".feeds.heartbeat"))},
      {"record", Bool(false)},
      {"session_id", Str(identity_.agent_session_id)},
      {"agent_class", Str(identity_.agent_class)},
  });
}

}  // namespace ocs_influx::ocs_adapter
