#include "service/engine/writer.h"

#include <algorithm>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "service/core/line_builder.h"

namespace ocs_influx::server {
namespace {

// The longest an idle Read waits. Requests (stop, check, flush) wake it
// through Spool::WakeReader and the stats timer sets its own deadline, so
// this only bounds the damage of a wake-up this code forgot.
constexpr absl::Duration kMaxIdleWait = absl::Seconds(10);
// Past this depth a refused batch is dead-lettered whole instead of being
// bisected further (2^12 lines per piece is already a single-line search).
constexpr int kMaxSplitDepth = 24;
// Timeouts or 5xx answers in a row at the same lines, while InfluxDB answers
// its ping, before those lines are suspected and halved.
constexpr int kFailuresBeforeHalving = 3;

// The lines a partial-write answer names (1-based), each after a comment
// with InfluxDB's reason, which a replay of the dead-letter file skips.
std::string RefusedLines(absl::string_view lines,
                         const std::vector<influx::WriteResult::RejectedLine>& rejected) {
  std::vector<absl::string_view> by_number;
  by_number.reserve(std::count(lines.begin(), lines.end(), '\n') + 1);
  size_t pos = 0;
  while (pos < lines.size()) {
    size_t end = lines.find('\n', pos);
    if (end == absl::string_view::npos) end = lines.size();
    by_number.push_back(lines.substr(pos, end - pos));
    pos = end + 1;
  }
  std::string out;
  for (const influx::WriteResult::RejectedLine& r : rejected) {
    if (r.line_number == 0 || r.line_number > by_number.size()) continue;
    absl::StrAppend(&out, "# line ", r.line_number, ": ");
    for (char c : r.error) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
    absl::StrAppend(&out, "\n", by_number[r.line_number - 1], "\n");
  }
  return out;
}

// Splits at the line boundary nearest the middle.
size_t MiddleLineBoundary(absl::string_view lines, size_t line_count) {
  size_t target = line_count / 2;
  size_t pos = 0;
  for (size_t i = 0; i < target; ++i) pos = lines.find('\n', pos) + 1;
  return pos;
}

}  // namespace

Writer::Writer(WriterOptions options, spool::Spool* spool,
               std::unique_ptr<influx::InfluxEndpoint> influx,
               DeadLetterFile* dead_letter, Counters* counters,
               ConnectionState* connection, Recording* recording,
               FeedTracker* feeds)
    : options_(std::move(options)),
      spool_(spool),
      influx_(std::move(influx)),
      dead_letter_(dead_letter),
      counters_(counters),
      connection_(connection),
      recording_(recording),
      feeds_(feeds),
      read_backoff_(options_.initial_backoff, options_.max_backoff) {
  influx_->SetAbortCheck([this] { return Aborting(); });
}

Writer::~Writer() { Stop(absl::ZeroDuration()); }

void Writer::Start() { thread_ = std::thread([this] { Run(); }); }

void Writer::Stop(absl::Duration drain) {
  const bool running = thread_.joinable();
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    cv_.SignalAll();
  }
  spool_->WakeReader();
  {
    // The drain: the writer goes on delivering until the spool is empty;
    // waiting here (not polling a deadline there) keeps its loops simple.
    absl::MutexLock lock(&mu_);
    if (running) mu_.AwaitWithTimeout(absl::Condition(&finished_), drain);
  }
  abort_.Stop();
  if (running) thread_.join();
}

bool Writer::CheckDatabase(absl::Duration timeout) {
  uint64_t ticket;
  {
    absl::MutexLock lock(&mu_);
    ticket = ++check_requested_;
  }
  spool_->WakeReader();
  absl::MutexLock lock(&mu_);
  absl::Time deadline = absl::Now() + timeout;
  while (check_done_ < ticket && !stop_) {
    if (cv_.WaitWithDeadline(&mu_, deadline)) break;
  }
  return check_done_ >= ticket && check_reachable_;
}

void Writer::RequestFlush() {
  {
    absl::MutexLock lock(&mu_);
    flush_requested_ = true;
  }
  spool_->WakeReader();
}

void Writer::DoDatabaseCheck() {
  absl::Status s = influx_->Ping();
  if (s.ok()) s = influx_->PrepareTarget();
  if (s.ok()) {
    NoteSuccess();
  } else {
    connection_->RecordError(std::string(s.message()));
    recording_->SetDegraded(true);
    LOG_WARNING("writer: InfluxDB at %s not ready: %s", influx_->BaseUrl(),
                std::string(s.message()));
  }
  absl::MutexLock lock(&mu_);
  check_done_ = check_requested_;
  check_reachable_ = s.ok();
  cv_.SignalAll();
}

void Writer::NoteSuccess() {
  connection_->RecordSuccess();
  recording_->SetDegraded(false);
  if (logged_outage_ && suspect_halvings_ == 0) {
    LOG_INFO("writer: InfluxDB at %s reachable again", influx_->BaseUrl());
    logged_outage_ = false;
  }
}

void Writer::NoteFailure(const influx::WriteResult& result) {
  connection_->RecordError(result.error);
  recording_->SetDegraded(true);
  if (!logged_outage_) {
    // One line per outage, not per retry.
    LOG_WARNING("writer: InfluxDB at %s: %s (HTTP %d); retrying with backoff, "
                "points wait in the spool",
                influx_->BaseUrl(), result.error, result.http_status);
    logged_outage_ = true;
  }
}

void Writer::NoteProblem(std::string error) {
  connection_->RecordProblem(std::move(error));
  recording_->SetDegraded(true);
}

void Writer::Run() {
  std::vector<spool::Record> records;
  while (true) {
    bool check = false;
    bool stop = false;
    {
      absl::MutexLock lock(&mu_);
      check = check_done_ < check_requested_;
      stop = stop_;
    }
    if (check) DoDatabaseCheck();
    size_t points = 0;
    bool got = CollectBatch(&records, &points);
    if (got) {
      // Shutting down mid-delivery (or before the acknowledgement is on
      // disk): the batch stays in the spool and is sent first on the next
      // start; InfluxDB keeps a re-sent identical point once.
      if (Deliver(records) == SendResult::kAborted) break;
      if (!AcknowledgeDelivered(records.back().seq)) break;
    }
    MaybeWriteStats();
    {
      absl::MutexLock lock(&mu_);
      if (!got) flush_requested_ = false;
      // Read again: a stop that woke the idle Read above must end the loop
      // now, not after the next idle wait.
      stop = stop_;
    }
    if (stop) {
      if (!got || Aborting()) break;
    }
  }
  spool_->Rewind();
  absl::MutexLock lock(&mu_);
  finished_ = true;
}

bool Writer::AcknowledgeDelivered(uint64_t seq) {
  // Delivered but not acknowledged would stall Flush and re-send the batch
  // at the next start: keep trying (a full disk frees up).
  Backoff backoff(options_.initial_backoff, options_.max_backoff);
  while (true) {
    absl::Status s = spool_->Acknowledge(seq);
    if (s.ok()) break;
    if (backoff.attempts() == 0) {
      LOG_ERROR("writer: acknowledging spool up to %d: %s; retrying with backoff", seq,
                std::string(s.message()));
    }
    NoteProblem(absl::StrCat("acknowledging the spool: ", s.message()));
    if (!abort_.SleepFor(backoff.Next())) return false;
  }
  if (backoff.attempts() > 0) {
    LOG_INFO("writer: spool acknowledged up to %d after %d retries", seq, backoff.attempts());
    if (connection_->Get().connected) recording_->SetDegraded(false);
  }
  return true;
}

bool Writer::CollectBatch(std::vector<spool::Record>* records, size_t* points) {
  records->clear();
  spool_->ReleaseReads();  // the views of the last batch go with it
  *points = 0;
  std::vector<spool::Record> more;
  absl::Time send_at = absl::InfiniteFuture();
  while (*points < options_.batch_size) {
    absl::Duration wait = kMaxIdleWait;
    if (records->empty() && options_.stats_interval > absl::ZeroDuration()) {
      // Idle: wake for the next stats point (Run writes it). Gathering a
      // batch, the batch's own deadline comes first (flush-interval).
      wait = std::min(wait, std::max(absl::ZeroDuration(), next_stats_ - absl::Now()));
    }
    if (!records->empty()) {
      wait = std::min(wait, std::max(absl::ZeroDuration(), send_at - absl::Now()));
    }
    more.clear();
    absl::Status s = spool_->Read(options_.batch_size - *points, wait, &more);
    if (!s.ok()) {
      // The spool rewinds its cursor on an error, so nothing read so far is
      // skipped; the next cycle reads it again.
      if (read_backoff_.attempts() == 0) {
        LOG_ERROR("writer: reading the spool: %s; retrying with backoff",
                  std::string(s.message()));
      }
      NoteProblem(absl::StrCat("reading the spool: ", s.message()));
      abort_.SleepFor(read_backoff_.Next());
      return false;
    }
    if (read_backoff_.attempts() > 0) {
      LOG_INFO("writer: reading the spool works again");
      read_backoff_.Reset();
      if (connection_->Get().connected) recording_->SetDegraded(false);
    }
    for (spool::Record& r : more) {
      if (records->empty()) {
        // A point that has waited in the spool (a backlog, a restart) is
        // due now; a fresh one gets flush-interval to gather company.
        send_at = absl::FromUnixNanos(r.accepted_unix_ns) + options_.flush_interval;
      }
      *points += r.points;
      records->push_back(std::move(r));
    }
    absl::MutexLock lock(&mu_);
    if (records->empty()) {
      // Idle: let the loop serve a check, a stop or the stats timer.
      if (stop_ || check_done_ < check_requested_ || flush_requested_) break;
      if (options_.stats_interval > absl::ZeroDuration() && absl::Now() >= next_stats_) break;
      continue;
    }
    if (flush_requested_ || stop_ || absl::Now() >= send_at) break;
  }
  return !records->empty();
}

Writer::SendResult Writer::Deliver(const std::vector<spool::Record>& records) {
  // Requests of up to batch-size lines, each of whole records (a record can
  // be larger than a batch, from an earlier run's --batch-size: it is cut
  // again). Records that lie end to end in the spool's memory (appended
  // together, the usual case while the writer keeps up) go as one view, and
  // so does a request of one record (a large one read back from a file);
  // only a request of records apart is copied into body_ first.
  size_t i = 0;
  while (i < records.size()) {
    size_t j = i + 1, lines = records[i].points;
    bool end_to_end = true;
    while (j < records.size() && lines + records[j].points <= options_.batch_size) {
      const absl::string_view prev = records[j - 1].lines;
      end_to_end = end_to_end && records[j].lines.data() == prev.data() + prev.size();
      lines += records[j].points;
      ++j;
    }
    absl::string_view body;
    if (end_to_end) {
      body = absl::string_view(records[i].lines.data(),
                               records[j - 1].lines.data() + records[j - 1].lines.size() -
                                   records[i].lines.data());
    } else {
      body_.clear();
      for (size_t k = i; k < j; ++k) body_.append(records[k].lines.data(), records[k].lines.size());
      body = body_;
    }
    // Either way the records lie end to end in the body: where each is,
    // for the feed counts (CountWritten).
    body_records_.clear();
    size_t offset = 0;
    for (size_t k = i; k < j; ++k) {
      body_records_.push_back({records[k].seq, records[k].points, offset, records[k].lines.size()});
      offset += records[k].lines.size();
    }
    records_body_ = body;
    if (SendInBatches(body, lines) == SendResult::kAborted) return SendResult::kAborted;
    i = j;
  }
  return SendResult::kDone;
}

void Writer::CountWritten(absl::string_view lines) {
  // The whole body of Deliver's records: counted from the runs kept at
  // acceptance. A part of it (a cut or a half): scanned.
  if (lines.data() == records_body_.data() && lines.size() == records_body_.size()) {
    feeds_->Written(lines, body_records_);
  } else {
    feeds_->Written(lines);
  }
}

Writer::SendResult Writer::SendInBatches(absl::string_view body, size_t lines) {
  if (lines == 0) return SendResult::kDone;
  if (lines <= options_.batch_size) return SendLines(body, lines);
  // One oversized record: send it in batch-size slices.
  absl::string_view rest(body);
  while (!rest.empty()) {
    size_t pos = 0, n = 0;
    while (n < options_.batch_size && pos < rest.size()) {
      pos = rest.find('\n', pos) + 1;
      ++n;
    }
    if (SendLines(rest.substr(0, pos), n) == SendResult::kAborted) {
      return SendResult::kAborted;
    }
    rest.remove_prefix(pos);
  }
  return SendResult::kDone;
}

Writer::SendResult Writer::SendHalves(absl::string_view lines, size_t line_count,
                                      int depth, bool suspect) {
  size_t cut = MiddleLineBoundary(lines, line_count);
  size_t first = line_count / 2;
  if (suspect) ++suspect_halvings_;
  SendResult result = SendLines(lines.substr(0, cut), first, depth + 1);
  if (result == SendResult::kDone) {
    result = SendLines(lines.substr(cut), line_count - first, depth + 1);
  }
  if (suspect && --suspect_halvings_ == 0 && result == SendResult::kDone && logged_outage_) {
    LOG_INFO("writer: the lines that failed at InfluxDB at %s went through",
             influx_->BaseUrl());
    logged_outage_ = false;
  }
  return result;
}

Writer::SendResult Writer::SendLines(absl::string_view lines, size_t line_count,
                                     int depth) {
  Backoff backoff(options_.initial_backoff, options_.max_backoff);
  // Timeouts and 5xx in a row at these lines.
  int suspect_failures = 0;
  bool alone = false;  // one line that keeps failing although InfluxDB answers
  while (true) {
    if (Aborting()) return SendResult::kAborted;
    influx::WriteResult r = influx_->Write(std::string_view(lines.data(), lines.size()));
    counters_->batches_sent.fetch_add(1, std::memory_order_relaxed);
    counters_->bytes_sent_raw.fetch_add(r.bytes_raw, std::memory_order_relaxed);
    counters_->bytes_sent_compressed.fetch_add(r.bytes_sent,
                                               std::memory_order_relaxed);
    switch (r.outcome) {
      case influx::WriteOutcome::kOk:
        counters_->latency.Add(r.latency);
        counters_->points_written.fetch_add(line_count, std::memory_order_relaxed);
        CountWritten(lines);
        NoteSuccess();
        return SendResult::kDone;
      case influx::WriteOutcome::kPartial: {
        // InfluxDB 3 stored every line but the ones it names: those go to
        // the dead-letter file, the rest is acknowledged, nothing is sent
        // again.
        NoteSuccess();
        const size_t refused = r.rejected.size();
        counters_->points_written.fetch_add(line_count > refused ? line_count - refused : 0,
                                            std::memory_order_relaxed);
        CountWritten(lines);
        return DeadLetter(r.http_status,
                          absl::StrCat(r.error, " (", refused, " of ", line_count,
                                       " lines refused; the rest is stored)"),
                          RefusedLines(lines, r.rejected), refused,
                          /*were_written=*/true);
      }
      case influx::WriteOutcome::kDatabaseNotFound: {
        // InfluxDB's own answer (dropped under us, or never made): make it,
        // then send again after the usual backoff, so that a server that
        // keeps saying so is not hammered and Stop() ends the loop.
        if (backoff.attempts() == 0) {
          LOG_WARNING("writer: InfluxDB at %s: %s; creating the database",
                      influx_->BaseUrl(), r.error);
        }
        absl::Status s = influx_->CreateDatabase();
        if (!s.ok()) r.error = absl::StrCat(r.error, "; creating it: ", s.message());
        break;
      }
      case influx::WriteOutcome::kTooLarge:
      case influx::WriteOutcome::kRejected: {
        if (r.outcome == influx::WriteOutcome::kRejected &&
            absl::StrContains(r.error, "retention policy not found")) {
          break;  // configuration, not data: retry until someone fixes it
        }
        NoteSuccess();  // InfluxDB answered: it is up
        if (line_count <= 1 || depth >= kMaxSplitDepth) {
          return DeadLetter(r.http_status, r.error, lines, line_count);
        }
        // Halve until the refused lines stand alone: the rest of the batch
        // is written (InfluxDB stores a re-sent identical point once), and
        // only the refused points reach the dead-letter file.
        if (r.outcome == influx::WriteOutcome::kTooLarge) {
          counters_->batches_split.fetch_add(1, std::memory_order_relaxed);
        }
        return SendHalves(lines, line_count, depth, /*suspect=*/false);
      }
      case influx::WriteOutcome::kRetryable: {
        // 503 (and 429) say the server is busy, not that these lines are
        // bad: never a reason to halve them.
        if (!r.timed_out && (r.http_status < 500 || r.http_status == 503)) {
          suspect_failures = 0;
          break;
        }
        // The same lines time out or get a 5xx again and again. If InfluxDB
        // answers its ping meanwhile, these lines (not the server) are the
        // likely cause: halve them, as refused ones are, until the part
        // that fails stands alone. The first half goes first and lands;
        // the part that fails is then retried with backoff, never
        // dead-lettered (InfluxDB may take it later), and what follows it
        // waits: points reach InfluxDB in spool order, and the spool is
        // acknowledged by prefix. A server that is down or hung fails its
        // ping too and is only waited for.
        if (++suspect_failures == kFailuresBeforeHalving && depth < kMaxSplitDepth &&
            influx_->Ping().ok()) {
          if (line_count > 1) {
            counters_->batches_split.fetch_add(1, std::memory_order_relaxed);
            LOG_DEBUG("writer: %d lines failed %d times in a row (%s); halving them",
                      line_count, suspect_failures, r.error);
            return SendHalves(lines, line_count, depth, /*suspect=*/true);
          }
          alone = true;
          LOG_WARNING("writer: one line (%d bytes) fails alone although InfluxDB at %s "
                      "answers (%s); retrying it with backoff, later points wait behind it",
                      lines.size(), influx_->BaseUrl(), r.error);
        }
        if (alone) {
          r.error = absl::StrCat("one line fails alone (", r.error,
                                 "); later points wait behind it");
        }
        break;
      }
      case influx::WriteOutcome::kNotInfluxDB:
      case influx::WriteOutcome::kUnauthorized:
        suspect_failures = 0;
        break;
    }
    NoteFailure(r);
    counters_->retries.fetch_add(1, std::memory_order_relaxed);
    // A 429 or 503 that says when to come back is taken at its word (the
    // client caps it); else the usual backoff.
    absl::Duration wait = backoff.Next();
    if (r.retry_after > absl::ZeroDuration()) {
      LOG_DEBUG("writer: InfluxDB at %s asks to retry after %s (HTTP %d)", influx_->BaseUrl(),
                absl::FormatDuration(r.retry_after), r.http_status);
      wait = r.retry_after;
    }
    if (!abort_.SleepFor(wait)) return SendResult::kAborted;
  }
}

Writer::SendResult Writer::DeadLetter(long http_status, absl::string_view error,
                                      absl::string_view lines, size_t line_count,
                                      bool were_written) {
  // Log the refusal but not the data: a line can be 64 KiB of anything.
  LOG_WARNING("writer: InfluxDB refused %d line(s) (HTTP %d: %s); kept in %s",
              line_count, http_status, std::string(error), dead_letter_->path());
  Backoff backoff(options_.initial_backoff, options_.max_backoff);
  while (true) {
    absl::Status s = dead_letter_->Append(http_status, error, lines);
    if (s.ok()) break;
    // The file is the refused lines' only copy once the spool lets them
    // go, so they stay in the spool (unacknowledged) until it is written.
    if (backoff.attempts() == 0) {
      LOG_ERROR("writer: %s; the refused lines stay in the spool, retrying with backoff",
                std::string(s.message()));
    }
    NoteProblem(std::string(s.message()));
    if (!abort_.SleepFor(backoff.Next())) return SendResult::kAborted;
  }
  if (backoff.attempts() > 0) {
    LOG_INFO("writer: dead-letter file %s written after %d retries", dead_letter_->path(),
             backoff.attempts());
    if (connection_->Get().connected) recording_->SetDegraded(false);
  }
  counters_->points_dead_lettered.fetch_add(line_count, std::memory_order_relaxed);
  feeds_->DeadLettered(lines, were_written);
  return SendResult::kDone;
}

void Writer::MaybeWriteStats() {
  if (options_.stats_interval <= absl::ZeroDuration()) return;
  absl::Time now = absl::Now();
  if (now < next_stats_) return;
  next_stats_ = now + options_.stats_interval;
  if (!connection_->Get().connected) return;  // it would only wait in line
  spool::SpoolStats spool = spool_->Stats();
  // The escaped host tag, shared by every line.
  std::string host;
  if (!options_.stats_host.empty()) {
    host = ",host=";
    if (!core::AppendEscapedName(core::NameKind::kTagValue, options_.stats_host,
                                 &host).ok()) {
      host.clear();
    }
  }
  auto get = [](const std::atomic<uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  const double oldest_age_s =
      spool.oldest_accepted_unix_ns == 0
          ? 0.0
          : std::max(0.0, absl::ToDoubleSeconds(
                              now - absl::FromUnixNanos(spool.oldest_accepted_unix_ns)));
  std::vector<FeedSnapshot> feeds = feeds_->Snapshot(now, kMaxTrackedFeeds);
  size_t stale = 0;
  for (const FeedSnapshot& f : feeds) stale += f.stale ? 1 : 0;
  const int64_t ts = absl::ToUnixNanos(now);
  stats_.clear();
  absl::StrAppend(
      &stats_, "publisher_stats", host, " points_accepted=", get(counters_->points_accepted),
      "i,points_written=", get(counters_->points_written),
      "i,points_dead_lettered=", get(counters_->points_dead_lettered),
      "i,batches_sent=", get(counters_->batches_sent),
      "i,bytes_sent=", get(counters_->bytes_sent_compressed),
      "i,retries=", get(counters_->retries), "i,spool_points=", spool.points,
      "i,spool_bytes=", spool.bytes, "i,spool_oldest_age_s=", oldest_age_s,
      ",write_latency_p50_ms=",
      absl::ToDoubleMilliseconds(counters_->latency.Percentile(0.5)),
      ",write_latency_p99_ms=",
      absl::ToDoubleMilliseconds(counters_->latency.Percentile(0.99)),
      ",influx_connected=true,feeds_tracked=", feeds.size(), "i,feeds_stale=", stale,
      "i,feeds_not_tracked=", feeds_->feeds_not_tracked(), "i ", ts, "\n");
  // One point per feed, so that Grafana can alert on a stale one. The
  // field names differ from the totals' (accepted, not points_accepted), so
  // a query for a total never sums the feeds' series with it.
  for (const FeedSnapshot& f : feeds) {
    const size_t mark = stats_.size();
    absl::StrAppend(&stats_, "publisher_stats", host, ",agent=");
    bool ok = core::AppendEscapedName(core::NameKind::kTagValue, f.measurement, &stats_).ok();
    if (ok && !f.feed.empty()) {  // InfluxDB refuses an empty tag value
      stats_.append(",feed=");
      ok = core::AppendEscapedName(core::NameKind::kTagValue, f.feed, &stats_).ok();
    }
    if (!ok) {
      stats_.resize(mark);
      continue;
    }
    absl::StrAppend(&stats_, " accepted=", f.points_accepted, "i,written=", f.points_written,
                    "i,dead_lettered=", f.points_dead_lettered,
                    "i,points_per_s=", f.points_per_second,
                    ",stale=", f.stale ? "true" : "false", ",age_s=",
                    std::max(0.0, absl::ToDoubleSeconds(now - f.last_arrival)), " ", ts,
                    "\n");
  }
  influx::WriteResult r = influx_->Write(std::string_view(stats_));
  if (r.outcome != influx::WriteOutcome::kOk) {
    LOG_DEBUG("writer: publisher_stats not written: %s", r.error);
  }
}

}  // namespace ocs_influx::server
