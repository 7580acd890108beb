#include "ocs_adapter/wamp_connection.h"

#include <sys/ioctl.h>

#include <atomic>
#include <future>
#include <map>
#include <optional>
#include <thread>

#include <autobahn/autobahn.hpp>
#include <autobahn/wamp_websocketpp_websocket_transport.hpp>
#include <boost/asio.hpp>
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "ocs_adapter/event_pacer.h"
#include "ocs_adapter/msgpack_codec.h"
#include "ocs_adapter/msgpack_tape.h"

namespace ocs_influx::ocs_adapter {
namespace {

// websocketpp's asio client, reading the socket 256 KiB at a time instead
// of its default 16 KiB (connection_read_buffer_size, the connection's own
// buffer): a publication of 100 points of 16 floats is a message of about
// 16 KB, so at the default every message past the first in a busy read
// cost another read and another trip through the handlers; now one read
// takes what the kernel holds, up to 16 such messages.
struct ClientConfig : public websocketpp::config::asio_client {
  typedef ClientConfig type;
  typedef websocketpp::config::asio_client base;
  static const size_t connection_read_buffer_size = 256 * 1024;
};

using WsClient = websocketpp::client<ClientConfig>;
using Transport = autobahn::wamp_websocketpp_websocket_transport<ClientConfig>;

// websocketpp's default, stated: a WebSocket message over it closes the
// connection (1009) and the adapter rejoins. Not lower: one large
// publication by any peer of the realm would then knock the adapter off.
constexpr size_t kMaxWampMessageBytes = 32000000;

// autobahn-cpp's transport, with the WebSocket message handler replaced by
// one that checks each message (WellFormedMsgpack) before autobahn unpacks
// it, and that closes the connection (the adapter then rejoins) instead of
// letting an exception out: one thrown from autobahn's handling of a
// message (a WAMP protocol error, a msgpack parse error) would otherwise
// leave websocketpp's read loop without its next read, a session that is
// connected but deaf.
//
// EVENTs of our subscriptions (AddEventHandler) are read here
// (ReadWampEvent) and never reach autobahn-cpp: it copied each message into
// its unpacker and unpacked all of it into msgpack-c objects, a sixth of
// the WAMP thread's time, for handlers that read only the first argument's
// bytes. An EVENT that arrives before its subscription is added here (the
// moment between SUBSCRIBED and AddEventHandler) goes through autobahn-cpp,
// whose handler reads the same bytes (current_event). After an EVENT of
// ours that woke the thread, it pauses (EventPacer, WampOptions::event_pause).
class BoundedTransport final : public Transport {
 public:
  BoundedTransport(WsClient& client, const std::string& url, absl::Duration event_pause)
      : Transport(client, url, false), client_(client), pacer_(event_pause) {
    client_.set_message_handler(
        [this](websocketpp::connection_hdl hdl, WsClient::message_ptr msg) {
          OnMessage(std::move(hdl), std::move(msg));
        });
  }

  // From any thread.
  void AddEventHandler(uint64_t subscription, EventHandler handler) {
    absl::MutexLock lock(&mu_);
    handlers_.emplace(subscription, std::move(handler));
  }

  // The EVENT autobahn-cpp is handling (on the I/O thread, during its
  // handler's call); null otherwise.
  const WampEvent* current_event() const { return current_event_; }

 private:
  void OnMessage(websocketpp::connection_hdl hdl, WsClient::message_ptr msg) {
    // wamp.2.msgpack travels in binary frames; autobahn ignores the others.
    if (msg->get_opcode() != websocketpp::frame::opcode::binary) return;
    const std::string& payload = msg->get_payload();
    const absl::Time started = absl::Now();
    // An EVENT of ours first: ReadWampEvent walked it whole, every item the
    // message claims is there, so the check below would only walk it again.
    WampEvent event;
    if (ReadWampEvent(payload, &event) && Dispatch(event)) {
      // Sleeping here, on the only thread that reads the socket, is the
      // point: the next publications gather in it meanwhile.
      if (pacer_.Woke(started) && !BytesWaiting(hdl)) absl::SleepFor(pacer_.pause());
      pacer_.Ended(absl::Now());
      return;
    }
    if (!WellFormedMsgpack(payload)) {
      Fail(hdl, absl::StrCat("a message of ", payload.size(),
                             " bytes is not well-formed MessagePack or claims more "
                             "items than it holds"));
      return;
    }
    try {
      const size_t first = MsgpackObjectLength(payload);
      if (first == payload.size()) {
        Receive(payload, &payload);
        return;
      }
      // Several WAMP messages in one WebSocket message (no router we know
      // sends that; autobahn-cpp reads them all): one at a time, so that
      // every EVENT autobahn-cpp handles is current_event.
      absl::string_view rest = payload;
      for (size_t n = first; !rest.empty(); n = MsgpackObjectLength(rest)) {
        Receive(rest.substr(0, n), nullptr);
        rest.remove_prefix(n);
      }
    } catch (const std::exception& e) {
      Fail(hdl, e.what());
    }
  }

  // One WAMP message; `whole`: the same bytes as a string when they are
  // the whole payload (no copy for autobahn-cpp).
  void Receive(absl::string_view message, const std::string* whole) {
    WampEvent event;
    const bool is_event = ReadWampEvent(message, &event);
    if (is_event && Dispatch(event)) return;
    current_event_ = is_event ? &event : nullptr;
    struct Reset {
      const WampEvent** current;
      ~Reset() { *current = nullptr; }
    } reset{&current_event_};
    if (whole != nullptr) {
      receive_message(*whole);
    } else {
      receive_message(std::string(message));
    }
  }

  // Whether the event's subscription is ours; its handlers are then called.
  bool Dispatch(const WampEvent& event) {
    absl::MutexLock lock(&mu_);
    auto [it, end] = handlers_.equal_range(event.subscription);
    if (it == end) return false;
    for (; it != end; ++it) {
      // As autobahn-cpp does, a handler's exception ends with the handler.
      try {
        it->second(event.arg0, event.has_arg0);
      } catch (const std::exception& e) {
        LOG_WARNING("wamp: an event handler failed: %s", e.what());
      }
    }
    return true;
  }

  // Whether bytes wait in the connection's socket (a backlog: no pause).
  // Unsure counts as yes.
  bool BytesWaiting(websocketpp::connection_hdl hdl) {
    websocketpp::lib::error_code ec;
    WsClient::connection_ptr con = client_.get_con_from_hdl(std::move(hdl), ec);
    if (ec || !con) return true;
    int bytes = 0;
    if (ioctl(con->get_raw_socket().native_handle(), FIONREAD, &bytes) != 0) return true;
    return bytes > 0;
  }

  void Fail(websocketpp::connection_hdl hdl, const std::string& why) {
    LOG_WARNING("wamp: %s; closing the connection", why);
    websocketpp::lib::error_code ec;
    client_.close(hdl, websocketpp::close::status::protocol_error, "protocol error", ec);
  }

  WsClient& client_;
  EventPacer pacer_;                          // I/O thread only
  const WampEvent* current_event_ = nullptr;  // I/O thread only
  absl::Mutex mu_;
  std::multimap<uint64_t, EventHandler> handlers_ ABSL_GUARDED_BY(mu_);
};

// Waits for a boost::future from the I/O thread, turning its exception (how
// autobahn reports errors) into a status. This is the boundary where
// exceptions end.
template <typename T>
absl::StatusOr<T> Await(boost::future<T>& f, absl::Duration timeout,
                        absl::string_view what) {
  if (f.wait_for(boost::chrono::milliseconds(absl::ToInt64Milliseconds(timeout))) !=
      boost::future_status::ready) {
    return absl::DeadlineExceededError(absl::StrCat(what, ": no answer in ",
                                                    absl::FormatDuration(timeout)));
  }
  try {
    return f.get();
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat(what, ": ", e.what()));
  }
}

absl::Status AwaitVoid(boost::future<void>& f, absl::Duration timeout,
                       absl::string_view what) {
  if (f.wait_for(boost::chrono::milliseconds(absl::ToInt64Milliseconds(timeout))) !=
      boost::future_status::ready) {
    return absl::DeadlineExceededError(absl::StrCat(what, ": no answer in ",
                                                    absl::FormatDuration(timeout)));
  }
  try {
    f.get();
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat(what, ": ", e.what()));
  }
}

// The connection's I/O service, as the responders of its invocations see
// it: they may outlive the connection (a pending OCS `wait` is answered
// seconds later, possibly after the router went away and the connection
// was destroyed), so they hold this instead of the io_service itself, and
// Close() detaches it before the io_service goes.
class IoHandle {
 public:
  explicit IoHandle(boost::asio::io_service* io) : io_(io) {}

  // False when the connection is gone: the answer has nowhere to go.
  template <typename F>
  bool Post(F f) {
    absl::MutexLock lock(&mu_);
    if (io_ == nullptr) return false;
    io_->post(std::move(f));
    return true;
  }

  void Detach() {
    absl::MutexLock lock(&mu_);
    io_ = nullptr;
  }

 private:
  absl::Mutex mu_;
  boost::asio::io_service* io_ ABSL_GUARDED_BY(mu_);
};

class InvocationResponder final : public Responder {
 public:
  InvocationResponder(autobahn::wamp_invocation invocation, std::shared_ptr<IoHandle> io)
      : invocation_(std::move(invocation)), io_(std::move(io)) {}

  void Result(const Value& value) override {
    if (answered_.exchange(true)) return;
    auto invocation = invocation_;
    bool posted = io_->Post([invocation, value] {
      try {
        invocation->result(std::make_tuple(value));
      } catch (const std::exception& e) {
        LOG_WARNING("wamp: sending a result: %s", e.what());
      }
    });
    if (!posted) LOG_DEBUG("wamp: a result for a connection that is gone was dropped");
  }

  void Error(const std::string& uri, const std::string& message) override {
    if (answered_.exchange(true)) return;
    auto invocation = invocation_;
    bool posted = io_->Post([invocation, uri, message] {
      try {
        invocation->error(uri, std::make_tuple(message));
      } catch (const std::exception& e) {
        LOG_WARNING("wamp: sending an error: %s", e.what());
      }
    });
    if (!posted) LOG_DEBUG("wamp: an error for a connection that is gone was dropped");
  }

 private:
  autobahn::wamp_invocation invocation_;
  const std::shared_ptr<IoHandle> io_;
  std::atomic<bool> answered_{false};
};

class AutobahnConnection final : public WampConnection {
 public:
  explicit AutobahnConnection(WampOptions options)
      : options_(std::move(options)) {
    work_.emplace(io_);
    ws_.clear_access_channels(websocketpp::log::alevel::all);
    ws_.clear_error_channels(websocketpp::log::elevel::all);
    ws_.init_asio(&io_);
    ws_.set_max_message_size(kMaxWampMessageBytes);
  }

  ~AutobahnConnection() override { Close(); }

  absl::Status Open() {
    transport_ = std::make_shared<BoundedTransport>(ws_, options_.url, options_.event_pause);
    session_ = std::make_shared<autobahn::wamp_session>(io_, false);
    transport_->attach(std::static_pointer_cast<autobahn::wamp_transport_handler>(session_));
    thread_ = std::thread([this] { Run(); });

    auto connected = OnIo([this] { return transport_->connect(); });
    if (!connected.ok()) return connected.status();
    if (absl::Status s = AwaitVoid(*connected, options_.timeout,
                                   absl::StrCat("connecting to ", options_.url));
        !s.ok()) {
      return s;
    }
    auto started = OnIo([this] { return session_->start(); });
    if (!started.ok()) return started.status();
    if (absl::Status s = AwaitVoid(*started, options_.timeout, "starting the session");
        !s.ok()) {
      return s;
    }
    auto joined = OnIo([this] { return session_->join(options_.realm); });
    if (!joined.ok()) return joined.status();
    absl::StatusOr<uint64_t> id =
        Await(*joined, options_.timeout, absl::StrCat("joining realm ", options_.realm));
    if (!id.ok()) return id.status();
    LOG_INFO("wamp: joined realm %s at %s as session %d", options_.realm, options_.url, *id);
    return absl::OkStatus();
  }

  absl::Status Provide(const std::string& uri, Procedure procedure) override {
    std::shared_ptr<IoHandle> io = io_handle_;
    autobahn::wamp_procedure handler = [procedure, io, uri](autobahn::wamp_invocation inv) {
      auto responder = std::make_shared<InvocationResponder>(inv, io);
      std::vector<Value> args;
      Value kwargs = Dict();
      absl::Status s = ReadInvocation(inv, &args, &kwargs);
      if (!s.ok()) {
        responder->Error("wamp.error.invalid_argument", std::string(s.message()));
        return;
      }
      procedure(std::move(args), std::move(kwargs), responder);
    };
    auto registered = OnIo([this, uri, handler] { return session_->provide(uri, handler); });
    if (!registered.ok()) return registered.status();
    absl::StatusOr<autobahn::wamp_registration> r =
        Await(*registered, options_.timeout, absl::StrCat("registering ", uri));
    if (!r.ok()) return r.status();
    return absl::OkStatus();
  }

  absl::Status Subscribe(const std::string& topic, const std::string& match,
                         EventHandler handler) override {
    BoundedTransport* transport = transport_.get();  // outlives the session's handlers
    autobahn::wamp_event_handler on_event = [handler, transport](const autobahn::wamp_event&) {
      const WampEvent* event = transport->current_event();
      if (event == nullptr) {
        // Not reached: every message autobahn-cpp handles as an EVENT of
        // ours passed ReadWampEvent first.
        LOG_ERROR("wamp: an event without its bytes; read as an event without arguments");
        handler(absl::string_view(), false);
        return;
      }
      handler(event->arg0, event->has_arg0);
    };
    auto subscribed = OnIo([this, topic, match, on_event] {
      return session_->subscribe(topic, on_event, autobahn::wamp_subscribe_options(match));
    });
    if (!subscribed.ok()) return subscribed.status();
    absl::StatusOr<autobahn::wamp_subscription> s =
        Await(*subscribed, options_.timeout, absl::StrCat("subscribing to ", topic));
    if (!s.ok()) return s.status();
    transport->AddEventHandler(s->id(), std::move(handler));
    return absl::OkStatus();
  }

  absl::Status CallIgnoringResult(const std::string& uri,
                                  const std::map<std::string, std::string>& kwargs) override {
    auto called = OnIo([this, uri, kwargs] {
      return session_->call(uri, std::make_tuple(), kwargs);
    });
    if (!called.ok()) return called.status();
    absl::StatusOr<autobahn::wamp_call_result> r =
        Await(*called, options_.timeout, absl::StrCat("calling ", uri));
    return r.status();
  }

  void Publish(const std::string& topic, const Value& arg0) override {
    io_.post([this, topic, arg0] {
      try {
        session_->publish(topic, std::make_tuple(arg0));
      } catch (const std::exception& e) {
        LOG_DEBUG("wamp: publish to %s: %s", topic, e.what());
      }
    });
  }

  bool Alive() const override {
    return !stopped_.load() && transport_ != nullptr && transport_->is_connected();
  }

  void Close() override {
    if (closed_.exchange(true)) return;
    if (thread_.joinable()) {
      if (Alive()) {
        auto left = OnIo([this] { return session_->leave(); });
        if (left.ok()) Await(*left, absl::Seconds(2), "leaving").IgnoreError();
        auto stopped = OnIo([this] { return session_->stop(); });
        if (stopped.ok()) AwaitVoid(*stopped, absl::Seconds(2), "stopping").IgnoreError();
      }
      io_.post([this] {
        try {
          if (transport_->is_connected()) transport_->disconnect();
        } catch (const std::exception&) {
        }
      });
      work_.reset();  // let run() return once the queue drains
      io_.stop();
      thread_.join();
    }
    // Responders still held (pending waits) must not post to io_ once this
    // object is gone.
    io_handle_->Detach();
  }

 private:
  // Runs `f` on the I/O thread and hands back what it returns; an error if
  // it threw or the thread did not get to it within the timeout.
  template <typename F>
  auto OnIo(F f) -> absl::StatusOr<decltype(f())> {
    using R = decltype(f());
    auto promise = std::make_shared<std::promise<R>>();
    std::future<R> result = promise->get_future();
    io_.post([promise, f]() mutable {
      try {
        promise->set_value(f());
      } catch (...) {
        promise->set_exception(std::current_exception());
      }
    });
    if (result.wait_for(absl::ToChronoMilliseconds(options_.timeout)) !=
        std::future_status::ready) {
      return absl::DeadlineExceededError("the WAMP I/O thread did not answer");
    }
    try {
      return result.get();
    } catch (const std::exception& e) {
      return absl::UnavailableError(e.what());
    }
  }

  static absl::Status ReadInvocation(const autobahn::wamp_invocation& inv,
                                     std::vector<Value>* args, Value* kwargs) {
    try {
      for (size_t i = 0; i < inv->number_of_arguments(); ++i) {
        Value v;
        absl::Status s = FromMsgpack(inv->argument<msgpack::object>(i), &v,
                                     absl::StrCat("args[", i, "]"));
        if (!s.ok()) return s;
        args->push_back(std::move(v));
      }
      if (inv->number_of_kw_arguments() > 0) {
        absl::Status s =
            FromMsgpack(inv->kw_arguments<msgpack::object>(), kwargs, "kwargs");
        if (!s.ok()) return s;
      }
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat("unreadable arguments: ", e.what()));
    }
    return absl::OkStatus();
  }

  void Run() {
    // Handlers may throw (autobahn reports protocol trouble that way); the
    // loop goes on until Close().
    while (!closed_.load()) {
      try {
        io_.run();
        break;
      } catch (const std::exception& e) {
        LOG_WARNING("wamp: %s", e.what());
      }
    }
    stopped_.store(true);
  }

  const WampOptions options_;
  boost::asio::io_service io_;
  const std::shared_ptr<IoHandle> io_handle_ = std::make_shared<IoHandle>(&io_);
  std::optional<boost::asio::io_service::work> work_;
  WsClient ws_;
  std::shared_ptr<BoundedTransport> transport_;
  std::shared_ptr<autobahn::wamp_session> session_;
  std::thread thread_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace

absl::StatusOr<std::unique_ptr<WampConnection>> WampConnection::Connect(
    const WampOptions& options) {
  auto connection = std::make_unique<AutobahnConnection>(options);
  if (absl::Status s = connection->Open(); !s.ok()) {
    connection->Close();
    return s;
  }
  return connection;
}

}  // namespace ocs_influx::ocs_adapter
