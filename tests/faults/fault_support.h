// Shared pieces of the fault suite: the publisher binary as a child process,
// writer threads that keep a ledger of what the publisher accepted, and the
// check that every accepted point is in InfluxDB (by count and by checksum
// of values and timestamps).
//
// Points: measurement M, tag w=<writer>, fields v=<Value(w, id)>i and
// x=<float>, time = TimeOf(w, id). Identical on a re-send, unique per
// (writer, id), so InfluxDB keeps each once however often it arrives and
// the id can be read back from the timestamp alone.
#ifndef OCS_INFLUX_TESTS_FAULTS_FAULT_SUPPORT_H_
#define OCS_INFLUX_TESTS_FAULTS_FAULT_SUPPORT_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/publisher.grpc.pb.h"

namespace ocs_influx::faults {

namespace v1 = ocs::influx::v1;

// An integer from the environment (bazel test --test_env=NAME=...), else
// `fallback`.
int64_t EnvInt(const char* name, int64_t fallback);

// A fresh directory under $TEST_TMPDIR (or /tmp).
std::string TempDir(const std::string& prefix);

// VmRSS of a process in KiB; -1 if it cannot be read.
int64_t RssKib(pid_t pid);

// ---------------------------------------------------------------------------
// The publisher binary (runfiles path service/publisher) as a child process.

struct PublisherArgs {
  int influx_port = 0;
  int grpc_port = 0;          // 0: pick a free one at the first Start
  std::string spool_dir;
  std::vector<std::string> extra;  // more flags, e.g. {"--spool-max-bytes", "4MiB"}
};

class PublisherProcess {
 public:
  explicit PublisherProcess(PublisherArgs args);
  ~PublisherProcess();  // SIGKILL if still running; waits for it
  PublisherProcess(const PublisherProcess&) = delete;
  PublisherProcess& operator=(const PublisherProcess&) = delete;

  // Spawns the binary (stderr appended to log_path()) and waits until
  // GetStatus answers, at most `timeout`.
  absl::Status Start(absl::Duration timeout = absl::Seconds(30));
  // SIGKILL and reap: a crash, nothing flushed.
  void Kill();
  // SIGTERM and reap (bounded; SIGKILL after `timeout`); the exit code, or
  // 128+signal.
  int Terminate(absl::Duration timeout = absl::Seconds(20));
  bool Alive();  // false once it has exited (reaps it)

  pid_t pid() const { return pid_; }
  std::string target() const;  // "127.0.0.1:PORT"
  const std::string& log_path() const { return log_path_; }
  std::string LogTail(size_t max_bytes = 3000) const;

  // A stub on a channel that reconnects quickly after a restart.
  std::unique_ptr<v1::Publisher::Stub> NewStub() const;
  absl::StatusOr<v1::Status> GetStatus();
  // Flush RPC; true when complete within `timeout`.
  bool Flush(absl::Duration timeout);

 private:
  PublisherArgs args_;
  std::string log_path_;
  pid_t pid_ = -1;
};

// A channel to `target` with short reconnect backoff (gRPC's default grows
// to two minutes, which would hide a restarted server from the writers).
std::shared_ptr<grpc::Channel> FastReconnectChannel(const std::string& target);

// Runs a runfiles binary with args, waits at most `timeout`; exit code, or
// -1 on timeout (the child is then killed). Output goes to `log`.
int RunTool(const std::string& binary, const std::vector<std::string>& args,
            absl::Duration timeout, const std::string& log);

// ---------------------------------------------------------------------------
// Points and the ledger of what was accepted.

constexpr int64_t kBaseTime = 1700000000000000000LL;
constexpr uint64_t kTimeMod = uint64_t{1} << 61;

inline int64_t TimeOf(int writer, int64_t id) {
  return kBaseTime + writer * 1000000000000LL + id * 1000;
}
inline int64_t ValueOf(int writer, int64_t id) {
  return static_cast<int64_t>((static_cast<uint64_t>(id) * 2654435761u + writer * 97u) %
                              1000000007u);
}
// `count` lines for ids first..first+count-1 of `writer`.
std::string MakeLines(const std::string& measurement, int writer, int64_t first,
                      int count);

struct Checksum {
  uint64_t count = 0;
  uint64_t sum_values = 0;  // wraps; equal sets give equal sums
  uint64_t sum_times = 0;   // mod 2^61
  void Add(int64_t value, int64_t time) {
    ++count;
    sum_values += static_cast<uint64_t>(value);
    sum_times = (sum_times + static_cast<uint64_t>(time) % kTimeMod) % kTimeMod;
  }
  bool operator==(const Checksum& o) const {
    return count == o.count && sum_values == o.sum_values && sum_times == o.sum_times;
  }
};

// What a writer sent: ranges of ids, each acknowledged OK or not.
struct WriterLedger {
  struct Range {
    int64_t first;
    int count;
    bool accepted;
  };
  std::vector<Range> ranges;
  int64_t next_id = 0;
};

struct WriterOptions {
  std::string measurement = "fault";
  int writers = 4;
  int batch = 200;                  // points per WriteLines
  int64_t points_per_second = 0;    // per writer; 0: as fast as accepted
  // On RESOURCE_EXHAUSTED, wait and send the same points again (a client
  // that feels backpressure); otherwise the points are given up.
  bool retry_exhausted = false;
  // On any other failure (publisher gone), send the same points again;
  // otherwise they are given up (not accepted) and new ids follow.
  bool retry_failed = false;
  absl::Duration rpc_deadline = absl::Seconds(10);
  absl::Duration pause_after_failure = absl::Milliseconds(20);
};

// Writer threads pushing WriteLines at a publisher until Stop().
class Writers {
 public:
  Writers(std::string target, WriterOptions options);
  ~Writers();  // Stop()
  void Start();
  void Stop();

  const WriterOptions& options() const { return options_; }
  // After Stop(): the ledgers and figures.
  const std::vector<WriterLedger>& ledgers() const { return ledgers_; }
  uint64_t accepted_points() const;
  uint64_t refused_points() const;  // batches given up
  // Failed RPCs by status code (OK excluded), and one message per code.
  std::map<int, uint64_t> errors() const;
  std::map<int, std::string> error_samples() const;
  uint64_t ok_rpcs() const { return ok_rpcs_.load(); }
  // Acknowledgement latency of OK RPCs, in ms (p in [0, 1]).
  double LatencyPercentileMs(double p) const;
  // Points accepted so far (while running).
  uint64_t accepted_so_far() const { return accepted_.load(); }

 private:
  void Run(int writer);

  const std::string target_;
  const WriterOptions options_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::vector<WriterLedger> ledgers_;
  std::vector<std::vector<double>> latencies_ms_;
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> ok_rpcs_{0};
  mutable absl::Mutex mu_;
  std::map<int, uint64_t> errors_ ABSL_GUARDED_BY(mu_);
  std::map<int, std::string> error_samples_ ABSL_GUARDED_BY(mu_);
};

// ---------------------------------------------------------------------------
// What landed.

struct Verdict {
  uint64_t accepted = 0;          // points acknowledged OK
  uint64_t landed = 0;            // accepted points found in InfluxDB
  uint64_t lost = 0;              // accepted, not found
  uint64_t landed_unacked = 0;    // found though their RPC failed (allowed)
  uint64_t wrong_value = 0;       // found with another value (corruption)
  uint64_t unknown = 0;           // rows for ids never sent
  Checksum expected;              // over accepted points, from the ledger
  Checksum found;                 // over accepted points, from InfluxDB rows
  std::string first_lost;         // "w=1 id=42" for a failure message
};

// Reads every point of `measurement` back (pages of ids, epoch=ns) and
// compares it with the ledgers.
absl::StatusOr<Verdict> Verify(int influx_port, const std::string& db,
                               const std::string& measurement,
                               const std::vector<WriterLedger>& ledgers);

// GET /query with epoch=ns; the raw JSON body.
absl::StatusOr<std::string> InfluxQuery(int influx_port, const std::string& db,
                                        const std::string& q);

// SHOW STATS: points influxd's HTTP service wrote OK since it started (each
// re-sent duplicate counted again), or -1.
int64_t InfluxPointsWrittenOk(int influx_port);

// "RELIABILITY scenario=... accepted=N landed=N lost=N ..." (one line to
// stdout, flushed).
void PrintSummary(const std::string& scenario, const Verdict& v, int64_t duplicates_dropped,
                  double recovery_s, const std::string& extra);

}  // namespace ocs_influx::faults

#endif  // OCS_INFLUX_TESTS_FAULTS_FAULT_SUPPORT_H_
