// libFuzzer target: a WAMP INVOCATION message as the router sends it to the
// adapter, [68, request, registration, details, args?, kwargs?], as msgpack
// bytes. First the adapter transport's check (ocs_adapter::WellFormedMsgpack:
// complete objects, no claimed count beyond the bytes), which must agree
// with msgpack-c; then unpacked with bounded sizes (as msgpack_event_fuzz.cc),
// shaped as autobahn-cpp's process_invocation
// shapes it (length 4..6, args an array, kwargs a map, else autobahn refuses
// the message), read as wamp_connection.cc's ReadInvocation reads it
// (ocs_adapter::FromMsgpack per argument, "args[i]", and the kwargs map), then
// handed to ocs_adapter::Agent: registration 1 is `<address>.ops`
// (Agent::Ops), anything else `<address>` (Agent::Management).
//
// RecordControl here is a STUB that answers fixed, valid ocs.influx.v1
// messages (the recording state picked by the request id: idle, running,
// done, or the publisher unreachable). That is deliberate: the point of
// this target is the handling of hostile arguments, not the publisher,
// which has its own tests and fuzz targets.
//
// Properties: never crashes (ASan/UBSan); every OpsOutcome of Ops is either
// a WAMP error with a `wamp.error.` URI and no reply, or the reply
// [status in {-1, 0, 1}, message string, session dict] (a pending `wait`
// settles to one too); Management answers a value (dict, list or string)
// or a WAMP error with a URI; and every reply packs to msgpack that reads
// back (FromMsgpack) to a value that packs to the same bytes, so it can
// travel back through the router and the HTTP bridge.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ocs_adapter/agent.h"
#include "ocs_adapter/msgpack_codec.h"
#include "ocs_adapter/record_control.h"
#include "proto/publisher.pb.h"

namespace {

namespace v1 = ocs::influx::v1;
using ocs_influx::ocs_adapter::Agent;
using ocs_influx::ocs_adapter::Value;

// Fixed, valid answers; see the file comment.
class StubControl final : public ocs_influx::ocs_adapter::RecordControl {
 public:
  explicit StubControl(int mode) : mode_(mode) {}

  absl::StatusOr<v1::RecordingStatus> StartRecording(bool test_mode) override {
    if (mode_ == 3) return absl::UnavailableError("publisher unreachable (stub)");
    v1::RecordingStatus r = Recording(v1::RUNNING);
    r.set_test_mode(test_mode);
    return r;
  }
  absl::StatusOr<v1::RecordingStatus> StopRecording() override {
    if (mode_ == 3) return absl::UnavailableError("publisher unreachable (stub)");
    return Recording(v1::STOPPING);
  }
  absl::StatusOr<v1::Status> GetStatus() override {
    if (mode_ == 3) return absl::UnavailableError("publisher unreachable (stub)");
    v1::Status s;
    *s.mutable_recording() =
        Recording(mode_ == 0 ? v1::IDLE : mode_ == 1 ? v1::RUNNING : v1::DONE);
    s.set_points_accepted(12);
    s.set_points_written(10);
    auto* d = s.add_dropped();
    d->set_reason("non_finite_float");
    d->set_count(2);
    s.mutable_influx()->set_connected(mode_ != 2);
    s.mutable_influx()->set_last_error("connection refused");
    s.mutable_spool()->set_points(2);
    return s;
  }

 private:
  static v1::RecordingStatus Recording(v1::RecordingState state) {
    v1::RecordingStatus r;
    r.set_state(state);
    r.set_op_code(state == v1::RUNNING ? 3 : state == v1::STOPPING ? 4
                                       : state == v1::DONE ? 5 : 1);
    if (state == v1::DONE) {
      r.set_success(true);
      r.mutable_end_time()->set_seconds(1700000100);
    }
    r.set_session_id(state == v1::IDLE ? 0 : 4);
    r.mutable_start_time()->set_seconds(1700000000);
    r.mutable_start_time()->set_nanos(250000000);
    auto* m = r.add_messages();
    m->mutable_time()->set_seconds(1700000000);
    m->set_text("Status is now \"starting\".");
    return r;
  }

  const int mode_;
};

std::string Pack(const Value& v) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  ocs_influx::ocs_adapter::PackValueTo(pk, v);
  return std::string(buffer.data(), buffer.size());
}

// The reply must survive the trip back: pack, unpack, read, pack again.
void CheckTravels(const Value& v) {
  const std::string bytes = Pack(v);
  msgpack::object_handle again;
  try {
    again = msgpack::unpack(bytes.data(), bytes.size());
  } catch (const std::exception&) {
    abort();
  }
  Value read;
  if (!ocs_influx::ocs_adapter::FromMsgpack(again.get(), &read).ok()) abort();
  if (Pack(read) != bytes) abort();
}

void CheckError(const Agent::OpsOutcome& o) {
  if (o.error_uri.rfind("wamp.error.", 0) != 0) abort();
  if (o.error_uri.size() <= 11 || o.pending_wait) abort();
  if (o.reply.type != Value::Type::kNull) abort();
}

void CheckOpsReply(const Value& reply) {
  if (reply.type != Value::Type::kArray || reply.items.size() != 3) abort();
  const Value& code = reply.items[0];
  if (code.type != Value::Type::kInt) abort();
  if (code.int_value != -1 && code.int_value != 0 && code.int_value != 1) abort();
  if (reply.items[1].type != Value::Type::kString) abort();
  if (reply.items[2].type != Value::Type::kObject) abort();
  CheckTravels(reply);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* bytes = reinterpret_cast<const char*>(data);
  const msgpack::unpack_limit limit(/*array=*/4096, /*map=*/4096,
                                    /*str=*/1 << 20, /*bin=*/1 << 20,
                                    /*ext=*/1 << 20, /*depth=*/128);
  // The transport's check must agree with msgpack-c: what it passes,
  // msgpack-c reads completely (object after object, to the last byte)
  // unless one of our limits stops it; what it refuses, msgpack-c cannot
  // read completely either.
  const bool well_formed =
      ocs_influx::ocs_adapter::WellFormedMsgpack(absl::string_view(bytes, size));
  bool broken = false, limited = false;
  {
    size_t offset = 0;
    while (offset < size && !broken && !limited) {
      try {
        msgpack::object_handle h = msgpack::unpack(bytes, size, offset, nullptr,
                                                   nullptr, limit);
      } catch (const msgpack::size_overflow&) {  // our limits, depth included
        limited = true;
      } catch (const std::exception&) {
        broken = true;  // insufficient_bytes, parse_error
      }
    }
    if (size == 0) broken = true;
  }
  if (well_formed && broken) abort();
  if (!well_formed && !broken && !limited) abort();
  if (!well_formed) return 0;  // the adapter closes the connection

  msgpack::object_handle handle;
  try {
    handle = msgpack::unpack(bytes, size, nullptr, nullptr, limit);
  } catch (const std::exception&) {
    return 0;  // over our limits, or more than one object
  }
  const msgpack::object& m = handle.get();
  // autobahn-cpp's process_invocation: anything else is a protocol error
  // before our code runs.
  if (m.type != msgpack::type::ARRAY || m.via.array.size < 4 ||
      m.via.array.size > 6) {
    return 0;
  }
  const msgpack::object* f = m.via.array.ptr;
  if (f[1].type != msgpack::type::POSITIVE_INTEGER ||
      f[2].type != msgpack::type::POSITIVE_INTEGER ||
      f[3].type != msgpack::type::MAP) {
    return 0;
  }
  if (m.via.array.size > 4 && f[4].type != msgpack::type::ARRAY) return 0;
  if (m.via.array.size > 5 && f[5].type != msgpack::type::MAP) return 0;
  const uint64_t request = f[1].via.u64;
  const bool ops = f[2].via.u64 == 1;

  // wamp_connection.cc's ReadInvocation.
  std::vector<Value> args;
  Value kwargs = ocs_influx::ocs_adapter::Dict();
  bool readable = true;
  if (m.via.array.size > 4) {
    const msgpack::object_array& a = f[4].via.array;
    for (uint32_t i = 0; readable && i < a.size; ++i) {
      Value v;
      readable = ocs_influx::ocs_adapter::FromMsgpack(a.ptr[i], &v,
                                                      absl::StrCat("args[", i, "]"))
                     .ok();
      args.push_back(std::move(v));
    }
  }
  if (readable && m.via.array.size > 5 && f[5].via.map.size > 0) {
    readable = ocs_influx::ocs_adapter::FromMsgpack(f[5], &kwargs, "kwargs").ok();
  }
  if (!readable) return 0;  // answered wamp.error.invalid_argument

  StubControl control(static_cast<int>(request % 4));
  ocs_influx::ocs_adapter::AdapterCounters counters;
  ocs_influx::ocs_adapter::AgentIdentity identity;
  identity.address = "observatory.influxagent";
  identity.hostname = "fuzz";
  identity.pid = 1;
  identity.agent_session_id = "1700000000.0";
  Agent agent(identity, &control, &counters);

  if (ops) {
    Agent::OpsOutcome o = agent.Ops(args, kwargs);
    if (!o.error_uri.empty()) {
      CheckError(o);
    } else if (o.pending_wait) {
      if (o.reply.type != Value::Type::kNull) abort();
      // The adapter polls until done or the deadline; at the deadline it
      // must answer (TIMEOUT or done).
      std::optional<Value> settled = agent.PollWait(absl::InfinitePast());
      if (!settled.has_value()) abort();
      CheckOpsReply(*settled);
    } else {
      CheckOpsReply(o.reply);
    }
  } else {
    Agent::OpsOutcome o = agent.Management(args);
    if (o.pending_wait) abort();
    if (!o.error_uri.empty()) {
      CheckError(o);
    } else {
      const Value::Type t = o.reply.type;
      if (t != Value::Type::kObject && t != Value::Type::kArray &&
          t != Value::Type::kString) {
        abort();
      }
      CheckTravels(o.reply);
    }
  }
  return 0;
}
