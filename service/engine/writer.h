// The writer thread: the only reader of the spool and the only user of the
// InfluxDB endpoint (influx::InfluxClient in the service; a scripted fake in
// tests/server/writer_test.cc). It batches accepted points in order, sends them, and
// acknowledges them in the spool once InfluxDB took them (or they went to
// the dead-letter file). It never gives up on a point InfluxDB cannot take
// right now: it retries with capped exponential backoff and jitter
// (common/backoff), and the points wait on disk meanwhile. Whatever keeps it
// from progressing shows in the status (last_error, degraded) and once in
// the log.
#ifndef OCS_INFLUX_SERVICE_ENGINE_WRITER_H_
#define OCS_INFLUX_SERVICE_ENGINE_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/backoff/backoff.h"
#include "service/influx/endpoint.h"
#include "service/engine/counters.h"
#include "service/engine/dead_letter.h"
#include "service/engine/feed_tracker.h"
#include "service/engine/recording.h"
#include "service/spool/spool.h"

namespace ocs_influx::server {

struct WriterOptions {
  size_t batch_size = 5000;                        // lines per POST
  absl::Duration flush_interval = absl::Seconds(1);
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(30);
  absl::Duration stats_interval = absl::Seconds(10);  // zero: off
  std::string stats_host;                          // tag of publisher_stats
};

class Writer {
 public:
  Writer(WriterOptions options, spool::Spool* spool,
         std::unique_ptr<influx::InfluxEndpoint> influx, DeadLetterFile* dead_letter,
         Counters* counters, ConnectionState* connection, Recording* recording,
         FeedTracker* feeds);
  ~Writer();  // Stop(zero) if still running
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void Start();

  // Pings InfluxDB and creates the database if missing, on the writer
  // thread; waits at most `timeout` for the outcome. True when it is known
  // to be reachable.
  bool CheckDatabase(absl::Duration timeout);
  // Sends what is waiting now rather than at the end of flush-interval.
  void RequestFlush();

  // Delivers what InfluxDB takes until the spool is empty or `drain` has
  // passed, then ends the thread: at the end of `drain` every wait and any
  // InfluxDB request in flight are cut short. What is left stays in the
  // spool.
  void Stop(absl::Duration drain);

 private:
  enum class SendResult { kDone, kAborted };

  void Run();
  bool CollectBatch(std::vector<spool::Record>* records, size_t* points);
  SendResult Deliver(const std::vector<spool::Record>& records);
  // `body` (`lines` lines) in requests of at most batch-size lines.
  SendResult SendInBatches(absl::string_view body, size_t lines);
  // Sends until InfluxDB took the lines or refused them for their content
  // (dead letters); `depth` counts the halvings of a refused batch.
  SendResult SendLines(absl::string_view lines, size_t line_count, int depth = 0);
  // SendLines of the first half of the lines, then of the second: spool
  // order is kept.
  // `suspect`: halving lines that time out or get a 5xx (not refused ones).
  SendResult SendHalves(absl::string_view lines, size_t line_count, int depth,
                        bool suspect);
  // Tells the feed tracker InfluxDB stored `lines`.
  void CountWritten(absl::string_view lines);
  // Appends refused lines to the dead-letter file, retrying with backoff
  // while it cannot be written: until then the lines stay in the spool.
  // `were_written`: the lines were counted as written per feed (a partial
  // write), so they move to dead-lettered.
  SendResult DeadLetter(long http_status, absl::string_view error,
                        absl::string_view lines, size_t line_count,
                        bool were_written = false);
  // Acknowledges up to `seq`, retrying with backoff; false if aborted first.
  bool AcknowledgeDelivered(uint64_t seq);
  void DoDatabaseCheck();
  void MaybeWriteStats();
  // True once the drain is over (or there was none): stop retrying.
  bool Aborting() const { return abort_.stopped(); }
  void NoteFailure(const influx::WriteResult& result);
  void NoteSuccess();
  // Progress stopped for a reason of ours, not InfluxDB's.
  void NoteProblem(std::string error);

  const WriterOptions options_;
  spool::Spool* const spool_;
  std::unique_ptr<influx::InfluxEndpoint> influx_;
  DeadLetterFile* const dead_letter_;
  Counters* const counters_;
  ConnectionState* const connection_;
  Recording* const recording_;
  FeedTracker* const feeds_;

  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time drain_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool flush_requested_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t check_requested_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t check_done_ ABSL_GUARDED_BY(mu_) = 0;
  bool check_reachable_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // Run() has returned

  // Stopped by Stop() once the drain is over: wakes every backoff wait and
  // ends a request in flight.
  StopSignal abort_;

  std::string body_;  // writer thread only: the batch being sent
  // Writer thread only: the body Deliver sends and its records in it.
  absl::string_view records_body_;
  std::vector<FeedTracker::RecordLines> body_records_;
  std::string stats_;  // writer thread only: publisher_stats lines
  Backoff read_backoff_;  // writer thread only: spool read errors
  absl::Time next_stats_ = absl::InfinitePast();
  bool logged_outage_ = false;
  // Halvings of suspect lines under way: the pieces that land meanwhile do
  // not end the outage in the log, the whole batch does.
  int suspect_halvings_ = 0;
  std::thread thread_;
};

}  // namespace ocs_influx::server

#endif  // OCS_INFLUX_SERVICE_ENGINE_WRITER_H_
