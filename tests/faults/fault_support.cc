#include "tests/faults/fault_support.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "tests/support/influxd.h"

namespace ocs_influx::faults {
namespace {

constexpr char kPublisherBinary[] = "service/publisher";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits for `pid` at most `timeout`; its exit code (128+signal), or -1.
int WaitFor(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return -1;
    if (absl::Now() >= deadline) return -1;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

pid_t SpawnLogged(const std::string& binary, const std::vector<std::string>& args,
                  const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    // Die with the test, whatever happens to it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

size_t AppendToString(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = ::getenv(name);
  int64_t out = 0;
  if (v == nullptr || !absl::SimpleAtoi(v, &out)) return fallback;
  return out;
}

std::string TempDir(const std::string& prefix) {
  const char* base = ::getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(base != nullptr && *base ? base : "/tmp", "/", prefix,
                                     "-XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  char* dir = mkdtemp(buffer.data());
  return dir != nullptr ? std::string(dir) : std::string();
}

int64_t RssKib(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      int64_t kib = -1;
      std::istringstream fields(line.substr(6));
      fields >> kib;
      return kib;
    }
  }
  return -1;
}

// ---------------------------------------------------------------------------

PublisherProcess::PublisherProcess(PublisherArgs args) : args_(std::move(args)) {
  log_path_ = TempDir("publisher-log") + "/publisher.log";
}

PublisherProcess::~PublisherProcess() { Kill(); }

std::string PublisherProcess::target() const {
  return absl::StrCat("127.0.0.1:", args_.grpc_port);
}

absl::Status PublisherProcess::Start(absl::Duration timeout) {
  if (pid_ > 0) return absl::FailedPreconditionError("already running");
  if (args_.grpc_port == 0) {
    auto port = testing::PickFreeLoopbackPort();
    if (!port.ok()) return port.status();
    args_.grpc_port = *port;
  }
  std::vector<std::string> argv = {
      "--host", "127.0.0.1", "--port", std::to_string(args_.influx_port),
      "--listen", target(), "--spool-dir", args_.spool_dir,
      "--stats-interval", "0", "--flush-interval", "100ms",
      "--shutdown-timeout", "2s", "--log-level", "info"};
  argv.insert(argv.end(), args_.extra.begin(), args_.extra.end());
  pid_ = SpawnLogged(kPublisherBinary, argv, log_path_);
  if (pid_ < 0) return absl::InternalError("fork failed");
  auto stub = NewStub();
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (!Alive()) {
      return absl::InternalError(absl::StrCat("publisher exited at start:\n", LogTail()));
    }
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    v1::Status status;
    if (stub->GetStatus(&context, v1::GetStatusRequest(), &status).ok()) {
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError(absl::StrCat("publisher not ready:\n", LogTail()));
}

void PublisherProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int PublisherProcess::Terminate(absl::Duration timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int code = WaitFor(pid_, timeout);
  if (code < 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
  return code;
}

bool PublisherProcess::Alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string PublisherProcess::LogTail(size_t max_bytes) const {
  std::string log = ReadFile(log_path_);
  return log.size() > max_bytes ? log.substr(log.size() - max_bytes) : log;
}

std::shared_ptr<grpc::Channel> FastReconnectChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 300);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<v1::Publisher::Stub> PublisherProcess::NewStub() const {
  return v1::Publisher::NewStub(FastReconnectChannel(target()));
}

absl::StatusOr<v1::Status> PublisherProcess::GetStatus() {
  auto stub = NewStub();
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  context.set_wait_for_ready(true);
  v1::Status status;
  grpc::Status s = stub->GetStatus(&context, v1::GetStatusRequest(), &status);
  if (!s.ok()) return absl::UnavailableError(s.error_message());
  return status;
}

bool PublisherProcess::Flush(absl::Duration timeout) {
  auto stub = NewStub();
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout + absl::Seconds(5)));
  context.set_wait_for_ready(true);
  v1::FlushRequest request;
  request.mutable_timeout()->set_seconds(absl::ToInt64Seconds(timeout));
  v1::FlushResponse response;
  grpc::Status s = stub->Flush(&context, request, &response);
  return s.ok() && response.complete();
}

int RunTool(const std::string& binary, const std::vector<std::string>& args,
            absl::Duration timeout, const std::string& log) {
  pid_t pid = SpawnLogged(binary, args, log);
  if (pid < 0) return -1;
  int code = WaitFor(pid, timeout);
  if (code < 0) {
    ::kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  return code;
}

// ---------------------------------------------------------------------------

std::string MakeLines(const std::string& measurement, int writer, int64_t first, int count) {
  std::string out;
  out.reserve(static_cast<size_t>(count) * 64);
  for (int64_t id = first; id < first + count; ++id) {
    absl::StrAppend(&out, measurement, ",w=", writer, " v=", ValueOf(writer, id),
                    "i,x=", id % 1000, ".25 ", TimeOf(writer, id), "\n");
  }
  return out;
}

Writers::Writers(std::string target, WriterOptions options)
    : target_(std::move(target)),
      options_(std::move(options)),
      ledgers_(options_.writers),
      latencies_ms_(options_.writers) {}

Writers::~Writers() { Stop(); }

void Writers::Start() {
  for (int w = 0; w < options_.writers; ++w) threads_.emplace_back([this, w] { Run(w); });
}

void Writers::Stop() {
  stop_ = true;
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Writers::Run(int writer) {
  auto stub = v1::Publisher::NewStub(FastReconnectChannel(target_));
  WriterLedger& ledger = ledgers_[writer];
  std::vector<double>& latencies = latencies_ms_[writer];
  const absl::Time start = absl::Now();
  int64_t pending_first = -1;  // a batch to send again
  while (!stop_) {
    if (options_.points_per_second > 0) {
      // Paced: the batch with ids up to next_id is due at this time.
      absl::Time due = start + absl::Seconds(static_cast<double>(ledger.next_id) /
                                             options_.points_per_second);
      while (!stop_ && absl::Now() < due) {
        absl::SleepFor(std::min(due - absl::Now(), absl::Milliseconds(50)));
      }
      if (stop_) break;
    }
    const int64_t first = pending_first >= 0 ? pending_first : ledger.next_id;
    if (pending_first < 0) ledger.next_id += options_.batch;
    pending_first = -1;
    v1::WriteLinesRequest request;
    request.set_lines(MakeLines(options_.measurement, writer, first, options_.batch));
    v1::WriteResponse response;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.rpc_deadline));
    const absl::Time sent = absl::Now();
    grpc::Status s = stub->WriteLines(&context, request, &response);
    if (s.ok()) {
      latencies.push_back(absl::ToDoubleMilliseconds(absl::Now() - sent));
      ledger.ranges.push_back({first, options_.batch, true});
      accepted_ += options_.batch;
      ++ok_rpcs_;
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      ++errors_[s.error_code()];
      if (!error_samples_.count(s.error_code())) error_samples_[s.error_code()] = s.error_message();
    }
    const bool retry = s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED
                           ? options_.retry_exhausted
                           : options_.retry_failed;
    if (retry && !stop_) {
      pending_first = first;
    } else {
      ledger.ranges.push_back({first, options_.batch, false});
    }
    absl::SleepFor(options_.pause_after_failure);
  }
  if (pending_first >= 0) ledger.ranges.push_back({pending_first, options_.batch, false});
}

uint64_t Writers::accepted_points() const {
  uint64_t n = 0;
  for (const WriterLedger& l : ledgers_)
    for (const auto& r : l.ranges) n += r.accepted ? r.count : 0;
  return n;
}

uint64_t Writers::refused_points() const {
  uint64_t n = 0;
  for (const WriterLedger& l : ledgers_)
    for (const auto& r : l.ranges) n += r.accepted ? 0 : r.count;
  return n;
}

std::map<int, uint64_t> Writers::errors() const {
  absl::MutexLock lock(&mu_);
  return errors_;
}

std::map<int, std::string> Writers::error_samples() const {
  absl::MutexLock lock(&mu_);
  return error_samples_;
}

double Writers::LatencyPercentileMs(double p) const {
  std::vector<double> all;
  for (const auto& l : latencies_ms_) all.insert(all.end(), l.begin(), l.end());
  if (all.empty()) return 0;
  size_t k = std::min(all.size() - 1, static_cast<size_t>(p * (all.size() - 1) + 0.5));
  std::nth_element(all.begin(), all.begin() + k, all.end());
  return all[k];
}

// ---------------------------------------------------------------------------

absl::StatusOr<std::string> InfluxQuery(int influx_port, const std::string& db,
                                        const std::string& q) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return absl::InternalError("curl_easy_init failed");
  char* q_escaped = curl_easy_escape(curl.get(), q.data(), static_cast<int>(q.size()));
  std::string url = absl::StrCat("http://127.0.0.1:", influx_port, "/query?epoch=ns&db=", db,
                                 "&q=", q_escaped);
  curl_free(q_escaped);
  std::string body;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 60000L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, AppendToString);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) return absl::UnavailableError(curl_easy_strerror(rc));
  long code = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
  if (code != 200) return absl::UnknownError(absl::StrCat("HTTP ", code, ": ", body));
  if (body.find("\"error\"") != std::string::npos) return absl::UnknownError(body);
  return body;
}

namespace {

// The [time, v] pairs of every "values" array in a query answer.
absl::Status ParseTimeValueRows(const std::string& body,
                                std::vector<std::pair<int64_t, int64_t>>* rows) {
  if (body.find("\"partial\":true") != std::string::npos) {
    return absl::OutOfRangeError("partial answer: the page is too large");
  }
  size_t pos = 0;
  while ((pos = body.find("\"values\":[", pos)) != std::string::npos) {
    pos += 10;
    while (pos < body.size() && body[pos] == '[') {
      const char* p = body.c_str() + pos + 1;
      char* end = nullptr;
      long long t = std::strtoll(p, &end, 10);
      if (end == p || *end != ',') return absl::DataLossError("bad row time");
      p = end + 1;
      long long v = std::strtoll(p, &end, 10);
      if (end == p || *end != ']') return absl::DataLossError("bad row value");
      rows->push_back({t, v});
      pos = static_cast<size_t>(end - body.c_str()) + 1;
      if (pos < body.size() && body[pos] == ',') ++pos;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Verdict> Verify(int influx_port, const std::string& db,
                               const std::string& measurement,
                               const std::vector<WriterLedger>& ledgers) {
  constexpr int64_t kPage = 10000;  // ids per query: far under any row limit
  Verdict v;
  for (int w = 0; w < static_cast<int>(ledgers.size()); ++w) {
    const WriterLedger& ledger = ledgers[w];
    // 0: never sent, 1: sent, refused, 2: accepted; bit 4: seen.
    std::vector<uint8_t> state(static_cast<size_t>(ledger.next_id), 0);
    for (const auto& r : ledger.ranges) {
      for (int64_t id = r.first; id < r.first + r.count; ++id) {
        uint8_t& s = state[static_cast<size_t>(id)];
        s = std::max<uint8_t>(s, r.accepted ? 2 : 1);  // accepted on any try wins
      }
    }
    for (int64_t first = 0; first < ledger.next_id + kPage; first += kPage) {
      auto body = InfluxQuery(
          influx_port, db,
          absl::StrCat("SELECT v FROM \"", measurement, "\" WHERE w='", w, "' AND time >= ",
                       TimeOf(w, first), " AND time < ", TimeOf(w, first + kPage)));
      if (!body.ok()) return body.status();
      std::vector<std::pair<int64_t, int64_t>> rows;
      if (absl::Status s = ParseTimeValueRows(*body, &rows); !s.ok()) return s;
      for (const auto& [t, value] : rows) {
        const int64_t offset = t - TimeOf(w, 0);
        const int64_t id = offset / 1000;
        if (offset % 1000 != 0 || id < 0 || id >= ledger.next_id ||
            state[static_cast<size_t>(id)] == 0) {
          ++v.unknown;
          continue;
        }
        uint8_t& s = state[static_cast<size_t>(id)];
        if (value != ValueOf(w, id)) ++v.wrong_value;
        if (s & 4) continue;  // InfluxDB answers each series+time once
        s |= 4;
        if ((s & 3) == 2) {
          v.found.Add(value, t);
        } else {
          ++v.landed_unacked;
        }
      }
    }
    for (int64_t id = 0; id < ledger.next_id; ++id) {
      const uint8_t s = state[static_cast<size_t>(id)];
      if ((s & 3) != 2) continue;
      ++v.accepted;
      v.expected.Add(ValueOf(w, id), TimeOf(w, id));
      if (s & 4) {
        ++v.landed;
      } else {
        ++v.lost;
        if (v.first_lost.empty()) v.first_lost = absl::StrCat("w=", w, " id=", id);
      }
    }
  }
  return v;
}

int64_t InfluxPointsWrittenOk(int influx_port) {
  auto body = InfluxQuery(influx_port, "", "SHOW STATS FOR 'httpd'");
  if (!body.ok()) return -1;
  // One series; columns include "pointsWrittenOK"; values one row.
  size_t cols = body->find("\"columns\":[");
  size_t vals = body->find("\"values\":[[");
  if (cols == std::string::npos || vals == std::string::npos) return -1;
  int index = 0;
  size_t pos = cols + 11;
  size_t cols_end = body->find(']', pos);
  bool found = false;
  while (pos < cols_end) {
    size_t q1 = body->find('"', pos);
    size_t q2 = body->find('"', q1 + 1);
    if (q1 >= cols_end) break;
    if (body->compare(q1 + 1, q2 - q1 - 1, "pointsWrittenOK") == 0) {
      found = true;
      break;
    }
    ++index;
    pos = q2 + 1;
  }
  if (!found) return -1;
  pos = vals + 11;
  for (int i = 0; i < index; ++i) pos = body->find(',', pos) + 1;
  return std::strtoll(body->c_str() + pos, nullptr, 10);
}

void PrintSummary(const std::string& scenario, const Verdict& v, int64_t duplicates_dropped,
                  double recovery_s, const std::string& extra) {
  std::string line = absl::StrFormat(
      "RELIABILITY scenario=%s accepted=%d landed=%d lost=%d duplicates_dropped=%s "
      "recovery_s=%s checksum=%s landed_unacked=%d",
      scenario, v.accepted, v.landed, v.lost,
      duplicates_dropped < 0 ? "n/a" : std::to_string(duplicates_dropped),
      recovery_s < 0 ? "n/a" : absl::StrFormat("%.2f", recovery_s),
      v.expected == v.found ? "equal" : "DIFFERENT", v.landed_unacked);
  if (!extra.empty()) absl::StrAppend(&line, " ", extra);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace ocs_influx::faults
