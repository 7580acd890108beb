// The OCS agent on the WAMP side: joins the realm, registers
// `<address>.ops` and `<address>`, publishes the heartbeat every second,
// subscribes to every feed (`<address_root>..feeds.`, wildcard) and hands
// recorded publications to the core publisher. When the router goes away it
// rejoins with backoff and registers and subscribes again; it gives up after
// `crossbar_timeout` without a router (zero: never), as OCS agents do.
//
// Threads: the WAMP I/O thread decodes events and never blocks; one control
// thread answers ops and management calls (they may wait on the publisher),
// publishes heartbeats and settles pending `wait`s; FeedIngest's thread
// talks to the publisher.
#ifndef OCS_INFLUX_OCS_ADAPTER_ADAPTER_H_
#define OCS_INFLUX_OCS_ADAPTER_ADAPTER_H_

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/backoff/backoff.h"
#include "ocs_adapter/access_policy.h"
#include "ocs_adapter/agent.h"
#include "ocs_adapter/dead_letters.h"
#include "ocs_adapter/director_client.h"
#include "ocs_adapter/feed_bounds.h"
#include "ocs_adapter/feed_filter.h"
#include "ocs_adapter/feed_ingest.h"
#include "ocs_adapter/msgpack_tape.h"
#include "ocs_adapter/record_control.h"
#include "ocs_adapter/wamp_connection.h"

namespace ocs_influx::ocs_adapter {

struct AdapterOptions {
  WampOptions wamp;
  std::string address_root = "observatory";
  AgentIdentity identity;
  bool record_on_join = true;               // --initial-state record
  absl::Duration crossbar_timeout = absl::ZeroDuration();  // zero: retry forever
  absl::Duration heartbeat_interval = absl::Seconds(1);
  IngestOptions ingest;
  FeedBounds bounds;
  DeadLetterOptions dead_letters;
  // --feeds / --exclude-feeds (see feed_filter.h); empty: every feed.
  std::vector<std::string> feeds;
  std::vector<std::string> exclude_feeds;
  // OCS access control: the policy (--access-policy, else the hub's
  // access_policy) and the instance id its rules match.
  AccessPolicy access_policy;
  std::string instance_id;
};

class Adapter {
 public:
  // `publisher` (PublisherClient or EmbeddedPublisher) outlives this.
  Adapter(AdapterOptions options, PublisherLink* publisher);
  ~Adapter();

  // Runs until Stop() (or the router stays away past crossbar_timeout:
  // then an error). Waits on a condition (calls, Stop), not by polling
  // (but for the router's liveness, see adapter.cc).
  absl::Status Run();
  // From any thread (a signal handler thread): Run() returns soon after.
  void Stop();

 private:
  struct Call {
    bool management = false;
    std::vector<Value> args;
    Value kwargs;
    std::shared_ptr<Responder> responder;
  };
  struct PendingWait {
    absl::Time deadline;
    std::shared_ptr<Responder> responder;
  };

  absl::Status ConnectAndServe(std::unique_ptr<WampConnection>* connection);
  // On the WAMP I/O thread: one publication, its argument's bytes.
  void OnEvent(absl::string_view arg0, bool has_arg0);
  void ReadEvent(absl::string_view arg0, bool has_arg0);
  void Enqueue(Call call);
  void ServeCalls();
  void SettleWaits(bool all_now);
  void Answer(const Agent::OpsOutcome& outcome, const std::shared_ptr<Responder>& r);

  const AdapterOptions options_;
  FeedFilter feed_filter_;
  AdapterCounters counters_;
  AccessControl access_;
  std::unique_ptr<DirectorClient> director_;  // policy director: only
  Agent agent_;
  DeadLetters dead_letters_;
  FeedIngest ingest_;
  StopSignal stop_signal_;  // cuts the rejoin backoff short
  MsgpackTape tape_;  // the WAMP I/O thread's, reused for every publication

  absl::Mutex mu_;
  std::deque<Call> calls_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<PendingWait> waits_;  // control thread only
  absl::Time last_malformed_log_ = absl::InfinitePast();  // I/O thread only
  bool started_recording_ = false;
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_ADAPTER_H_
