// One WAMP session over WebSocket with MessagePack (autobahn-cpp on
// websocketpp), behind an interface free of autobahn types: its headers
// cost ~35 s per translation unit, so only wamp_connection.cc includes them.
//
// The session runs on its own I/O thread. Every method may be called from
// any thread: calls are posted to that thread, and the blocking ones wait
// for the router's answer at most `timeout`.
#ifndef OCS_INFLUX_OCS_ADAPTER_WAMP_CONNECTION_H_
#define OCS_INFLUX_OCS_ADAPTER_WAMP_CONNECTION_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ocs_adapter/reply_builders.h"

namespace ocs_influx::ocs_adapter {

// How a procedure answers: exactly once, from any thread.
class Responder {
 public:
  virtual ~Responder() = default;
  // The result travels as ONE positional argument (OCS clients read
  // args[0]).
  virtual void Result(const Value& value) = 0;
  virtual void Error(const std::string& uri, const std::string& message) = 0;
};

// A procedure: the invocation's positional and keyword arguments, already
// read into values (hostile input: a malformed invocation is answered with
// wamp.error.invalid_argument before it gets here).
using Procedure = std::function<void(std::vector<Value> args, Value kwargs,
                                     std::shared_ptr<Responder> responder)>;

// An event handler gets the bytes of the first positional argument: one
// complete, well-formed MessagePack object (WellFormedMsgpack), valid
// during the call only. It runs on the I/O thread and must not block.
using EventHandler = std::function<void(absl::string_view arg0, bool has_arg0)>;

struct WampOptions {
  std::string url;    // ws://host:port/path
  std::string realm;
  absl::Duration timeout = absl::Seconds(10);  // connect, join, register
  // After an EVENT of ours that woke the I/O thread, it pauses this long so
  // that the next ones are read together (EventPacer): at 200 publications
  // a second, 40 wake-ups instead of 200. What arrives meanwhile waits in
  // the socket, as long at most; the adapter's sender calls the publisher
  // every 100 ms and its writer flushes every second, so this is not seen
  // downstream. Everything on the I/O thread (invocations, other messages)
  // may wait as long. Zero: never pause.
  absl::Duration event_pause = absl::Milliseconds(50);
};

class WampConnection {
 public:
  static absl::StatusOr<std::unique_ptr<WampConnection>> Connect(
      const WampOptions& options);
  virtual ~WampConnection() = default;

  virtual absl::Status Provide(const std::string& uri, Procedure procedure) = 0;
  // match: "exact", "prefix" or "wildcard".
  virtual absl::Status Subscribe(const std::string& topic, const std::string& match,
                                 EventHandler handler) = 0;
  // A call whose result does not matter (the Access Director's agent_poll):
  // OK once the callee answered; an error for a WAMP error (no such
  // procedure) or no answer within the timeout.
  virtual absl::Status CallIgnoringResult(
      const std::string& uri, const std::map<std::string, std::string>& kwargs) = 0;
  // Fire and forget, one positional argument.
  virtual void Publish(const std::string& topic, const Value& arg0) = 0;
  // False once the transport is gone (router stopped, network).
  virtual bool Alive() const = 0;
  // Leaves the realm (bounded by the timeout) and stops the I/O thread.
  virtual void Close() = 0;
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_WAMP_CONNECTION_H_
