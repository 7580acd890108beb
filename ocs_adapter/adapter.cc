#include "ocs_adapter/adapter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "ocs_adapter/msgpack_publication.h"

namespace ocs_influx::ocs_adapter {

namespace v1 = ocs::influx::v1;

namespace {
constexpr absl::Duration kLivenessCheck = absl::Milliseconds(250);
}  // namespace

Adapter::Adapter(AdapterOptions options, PublisherLink* publisher)
    : options_(std::move(options)),
      feed_filter_(options_.feeds, options_.exclude_feeds),
      access_(options_.access_policy,
              AgentSpec{options_.instance_id, options_.identity.agent_class}),
      director_(access_.director()
                    ? std::make_unique<DirectorClient>(&access_, options_.address_root)
                    : nullptr),
      agent_(options_.identity, publisher, &counters_, &access_),
      dead_letters_(options_.dead_letters, &counters_),
      ingest_(options_.ingest, publisher, &counters_, &dead_letters_) {
  counters_.feed_filter = &feed_filter_;  // read by status replies, after Run() starts
}

Adapter::~Adapter() { ingest_.Stop(absl::Seconds(2)); }

void Adapter::OnEvent(absl::string_view arg0, bool has_arg0) {
  ReadEvent(arg0, has_arg0);
  tape_.Trim();
}

void Adapter::ReadEvent(absl::string_view arg0, bool has_arg0) {
  counters_.events_received.fetch_add(1, std::memory_order_relaxed);
  ArenaFeed owned = ArenaFeed::New();
  v1::OcsFeed& feed = *owned.feed;
  if (!has_arg0) {
    counters_.events_malformed.fetch_add(1, std::memory_order_relaxed);
    dead_letters_.Refuse(Refusal::kMalformed, "an event without arguments", nullptr);
    return;
  }
  if (absl::Status s = PublicationToFeedMsgpack(arg0, &tape_, &feed); !s.ok()) {
    counters_.events_malformed.fetch_add(1, std::memory_order_relaxed);
    dead_letters_.RefuseMsgpack(Refusal::kMalformed, s.message(), arg0);
    return;
  }
  if (!feed.record() || feed.agg_params().exclude_influx()) {
    counters_.events_skipped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // Another publisher's feed: not ours to bound, dead-letter or queue.
  if (!feed_filter_.Admit(feed.agent_address(), feed.feed_name(), FeedIngest::PointsOf(feed))) {
    return;
  }
  // Linear in the feed's blocks and columns: refused here, before the
  // queue, what would cost the core far more than its size.
  Refusal reason = Refusal::kTooLarge;
  uint64_t line_bytes = 0;
  if (absl::Status bounded = CheckFeedBounds(feed, options_.bounds, &reason, &line_bytes);
      !bounded.ok()) {
    counters_.points_refused.fetch_add(FeedIngest::PointsOf(feed), std::memory_order_relaxed);
    dead_letters_.RefuseMsgpack(reason, bounded.message(), arg0);
    return;
  }
  if (!ingest_.Offer(std::move(owned), line_bytes)) {
    dead_letters_.RefuseMsgpack(Refusal::kQueueFull,
                                "the adapter's ingest queue is full (the publisher is slow or away)",
                                arg0);
  }
}

void Adapter::Enqueue(Call call) {
  absl::MutexLock lock(&mu_);
  calls_.push_back(std::move(call));
}

void Adapter::Stop() {
  // The signal first: Run() checks it when the condition below wakes it.
  stop_signal_.Stop();
  absl::MutexLock lock(&mu_);
  stop_ = true;
}

void Adapter::Answer(const Agent::OpsOutcome& outcome,
                     const std::shared_ptr<Responder>& responder) {
  if (!outcome.error_uri.empty()) {
    responder->Error(outcome.error_uri, outcome.error_message);
  } else {
    responder->Result(outcome.reply);
  }
}

void Adapter::ServeCalls() {
  std::deque<Call> calls;
  {
    absl::MutexLock lock(&mu_);
    calls.swap(calls_);
  }
  for (Call& call : calls) {
    if (call.management) {
      Answer(agent_.Management(call.args), call.responder);
      continue;
    }
    Agent::OpsOutcome outcome = agent_.Ops(call.args, call.kwargs);
    if (outcome.pending_wait) {
      waits_.push_back({outcome.wait_deadline, call.responder});
    } else {
      Answer(outcome, call.responder);
    }
  }
}

void Adapter::SettleWaits(bool all_now) {
  if (waits_.empty()) return;
  std::vector<PendingWait> still;
  for (PendingWait& w : waits_) {
    std::optional<Value> reply =
        agent_.PollWait(all_now ? absl::InfinitePast() : w.deadline);
    if (reply.has_value()) {
      w.responder->Result(*reply);
    } else {
      still.push_back(std::move(w));
    }
  }
  waits_.swap(still);
}

absl::Status Adapter::ConnectAndServe(std::unique_ptr<WampConnection>* connection) {
  absl::StatusOr<std::unique_ptr<WampConnection>> c = WampConnection::Connect(options_.wamp);
  if (!c.ok()) return c.status();
  *connection = std::move(*c);
  const std::string& address = options_.identity.address;
  absl::Status s = (*connection)->Provide(
      address + ".ops", [this](std::vector<Value> args, Value kwargs,
                               std::shared_ptr<Responder> responder) {
        Enqueue({false, std::move(args), std::move(kwargs), std::move(responder)});
      });
  if (s.ok()) {
    s = (*connection)->Provide(address, [this](std::vector<Value> args, Value kwargs,
                                               std::shared_ptr<Responder> responder) {
      Enqueue({true, std::move(args), std::move(kwargs), std::move(responder)});
    });
  }
  if (s.ok()) {
    s = (*connection)->Subscribe(
        options_.address_root + "..feeds.", "wildcard",
        [this](absl::string_view arg0, bool has_arg0) { OnEvent(arg0, has_arg0); });
  }
  if (s.ok() && director_ != nullptr) s = director_->Join(connection->get());
  if (!s.ok()) return s;
  LOG_INFO("adapter: %s registered; subscribed to %s..feeds. (wildcard)", address,
           options_.address_root);
  return absl::OkStatus();
}

absl::Status Adapter::Run() {
  Backoff backoff(absl::Milliseconds(200), absl::Seconds(10));
  absl::Time router_lost = absl::Now();
  std::unique_ptr<WampConnection> connection;
  absl::Time next_heartbeat = absl::InfinitePast();
  absl::Time next_settle = absl::InfinitePast();
  while (!stop_signal_.stopped()) {
    if (connection == nullptr || !connection->Alive()) {
      if (connection != nullptr) {
        LOG_WARNING("adapter: lost the router at %s; rejoining", options_.wamp.url);
        connection->Close();
        connection.reset();
        router_lost = absl::Now();
        backoff.Reset();
      }
      absl::Status s = ConnectAndServe(&connection);
      if (!s.ok()) {
        if (connection != nullptr) {
          connection->Close();
          connection.reset();
        }
        if (options_.crossbar_timeout > absl::ZeroDuration() &&
            absl::Now() - router_lost > options_.crossbar_timeout) {
          return absl::UnavailableError(absl::StrCat(
              "no router at ", options_.wamp.url, " for ",
              absl::FormatDuration(options_.crossbar_timeout), ": ", s.message()));
        }
        const absl::Duration delay = backoff.Next();
        LOG_WARNING("adapter: %s; retrying in %s", std::string(s.message()),
                    absl::FormatDuration(delay));
        stop_signal_.SleepFor(delay);
        continue;
      }
      backoff.Reset();
      if (options_.record_on_join && !started_recording_) {
        // As OCS's --initial-state record: start once, on the first join.
        started_recording_ = true;
        Agent::OpsOutcome started =
            agent_.Ops({Str("start"), Str("record")}, Dict(), /*internal=*/true);
        LOG_INFO("adapter: initial state record: %s",
                 started.reply.items.size() > 1 ? started.reply.items[1].string_value
                                                : started.error_message);
      }
    }
    ServeCalls();
    absl::Time now = absl::Now();
    if (!waits_.empty() && now >= next_settle) {
      // One status poll per pending wait, ten times a second at most.
      next_settle = now + absl::Milliseconds(100);
      SettleWaits(false);
    }
    if (now >= next_heartbeat) {
      next_heartbeat = now + options_.heartbeat_interval;
      connection->Publish(options_.identity.address + ".feeds.heartbeat",
                          List({agent_.HeartbeatMessage(), agent_.EncodedHeartbeatFeed()}));
    }
    // Sleep until a call arrives, Stop(), or the next heartbeat (or
    // pending wait's poll) is due. autobahn-cpp's websocketpp transport
    // tells no one when the router goes (its close handler is private), so
    // the connection's liveness is looked at every kLivenessCheck.
    absl::Time wake = std::min(next_heartbeat, now + kLivenessCheck);
    if (!waits_.empty()) wake = std::min(wake, next_settle);
    absl::MutexLock lock(&mu_);
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !calls_.empty() || stop_;
    };
    mu_.AwaitWithDeadline(absl::Condition(&woken), wake);
  }
  SettleWaits(true);
  if (connection != nullptr) connection->Close();
  return absl::OkStatus();
}

}  // namespace ocs_influx::ocs_adapter
