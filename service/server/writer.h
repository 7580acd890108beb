// The writer thread: the only reader of the spool and the only user of the
// InfluxDB client. It batches accepted points in order, sends them, and
// acknowledges them in the spool once InfluxDB took them (or they went to
// the dead-letter file). It never gives up on a point InfluxDB cannot take
// right now: it retries with capped exponential backoff and jitter, and the
// points wait on disk meanwhile.
#ifndef OCS_INFLUX_SERVICE_SERVER_WRITER_H_
#define OCS_INFLUX_SERVICE_SERVER_WRITER_H_

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/influx/client.h"
#include "service/server/counters.h"
#include "service/server/dead_letter.h"
#include "service/server/recording.h"
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
         std::unique_ptr<influx::InfluxClient> client, DeadLetterFile* dead_letter,
         Counters* counters, ConnectionState* connection, Recording* recording);
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
  // Once the writer has taken its next batch it ends the (test-mode)
  // recording.
  void FinishRecordingAfterNextCycle();

  // Delivers what InfluxDB takes until the spool is empty or `drain` has
  // passed, then ends the thread. What is left stays in the spool.
  void Stop(absl::Duration drain);

 private:
  enum class SendResult { kDone, kAborted };

  void Run();
  bool CollectBatch(std::vector<spool::Record>* records, size_t* points);
  SendResult Deliver(const std::vector<spool::Record>& records);
  // Sends until InfluxDB took the lines or refused them for their content
  // (dead letters); `depth` counts the halvings of a refused batch.
  SendResult SendLines(absl::string_view lines, size_t line_count, int depth = 0);
  void DeadLetter(long http_status, absl::string_view error,
                  absl::string_view lines, size_t line_count);
  void DoDatabaseCheck();
  void MaybeWriteStats();
  // Sleeps up to `d`; false if the writer should abort its retries.
  bool SleepUnlessAborting(absl::Duration d);
  bool Aborting() const;
  void NoteFailure(const influx::WriteResult& result);
  void NoteSuccess();

  const WriterOptions options_;
  spool::Spool* const spool_;
  std::unique_ptr<influx::InfluxClient> client_;
  DeadLetterFile* const dead_letter_;
  Counters* const counters_;
  ConnectionState* const connection_;
  Recording* const recording_;

  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time drain_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool flush_requested_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t check_requested_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t check_done_ ABSL_GUARDED_BY(mu_) = 0;
  bool check_reachable_ ABSL_GUARDED_BY(mu_) = false;

  std::string body_;  // writer thread only: the batch being sent
  std::mt19937_64 jitter_;
  absl::Time next_stats_ = absl::InfinitePast();
  bool logged_outage_ = false;
  std::thread thread_;
};

}  // namespace ocs_influx::server

#endif  // OCS_INFLUX_SERVICE_SERVER_WRITER_H_
