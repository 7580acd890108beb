// Answers that are not InfluxDB's "stored": something else on InfluxDB's
// port (200 or 404 to everything), a database that stays "not found", a
// dead-letter file that cannot be written, and one line that InfluxDB
// always fails on (500 or a timeout). In each the publisher binary keeps
// every accepted point in its spool, says why in its status, backs off,
// ends promptly on SIGTERM, and delivers everything once the cause is gone.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/faults/fake_http.h"
#include "tests/faults/fault_support.h"
#include "tests/support/influxd.h"

namespace ocs_influx::faults {
namespace {

grpc::Status WriteLines(PublisherProcess& publisher, const std::string& lines) {
  auto stub = publisher.NewStub();
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::WriteLinesRequest request;
  request.set_lines(lines);
  v1::WriteResponse response;
  return stub->WriteLines(&context, request, &response);
}

// Polls the publisher's status until `done` holds (true) or `timeout`.
template <typename Pred>
bool WaitForStatus(PublisherProcess& publisher, absl::Duration timeout, Pred done,
                   v1::Status* last) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    auto s = publisher.GetStatus();
    if (s.ok()) {
      *last = *s;
      if (done(*s)) return true;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

WriterLedger LedgerOf(int64_t count) {
  WriterLedger ledger;
  ledger.ranges.push_back({0, static_cast<int>(count), true});
  ledger.next_id = count;
  return ledger;
}

// Item 5: a server that answers 200 to every request is not InfluxDB; its
// answers acknowledge nothing.
TEST(OddInfluxTest, Answer200FromSomethingElseKeepsEveryPointUntilInfluxDbTakesThem) {
  auto influxd = testing::Influxd::Start();
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  auto fake = FakeHttpServer::Start([](const HttpRequest&) {
    HttpAnswer a;
    a.status = 200;
    a.body = "<html>maintenance</html>";
    return a;
  });
  ASSERT_TRUE(fake.ok()) << fake.status();

  PublisherArgs args;
  args.influx_port = (*fake)->port();
  args.spool_dir = TempDir("spool");
  PublisherProcess publisher(args);
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();

  constexpr int kPoints = 5000;
  for (int b = 0; b < 5; ++b) {
    ASSERT_TRUE(WriteLines(publisher, MakeLines("not_influx", 0, b * 1000, 1000)).ok());
  }
  // Let the writer offer the points to the fake a few times (or see them
  // wrongly acknowledged).
  v1::Status seen;
  WaitForStatus(
      publisher, absl::Seconds(20),
      [&](const v1::Status& s) {
        return (*fake)->requests("/write") >= 3 || s.spool().points() < kPoints;
      },
      &seen);
  auto status = publisher.GetStatus();
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(status->spool().points(), static_cast<uint64_t>(kPoints))
      << "an answer from something that is not InfluxDB acknowledged points";
  EXPECT_GE((*fake)->requests("/write"), 3) << publisher.LogTail();
  EXPECT_EQ(status->points_written(), 0u);
  EXPECT_TRUE(status->recording().degraded());
  EXPECT_FALSE(status->influx().connected());
  const std::string url = absl::StrCat("http://127.0.0.1:", (*fake)->port());
  EXPECT_TRUE(absl::StrContains(status->influx().last_error(),
                                "answer from something that is not InfluxDB at " + url))
      << status->influx().last_error();

  // InfluxDB takes the fake's place: everything lands.
  const int influx_port = (*influxd)->port();
  (*fake)->SetHandler(
      [influx_port](const HttpRequest& r) { return FakeHttpServer::Forward(influx_port, r); });
  ASSERT_TRUE(publisher.Flush(absl::Seconds(60))) << publisher.LogTail();
  auto verdict = Verify(influx_port, "ocs_feeds", "not_influx", {LedgerOf(kPoints)});
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_EQ(verdict->landed, static_cast<uint64_t>(kPoints));
  EXPECT_EQ(verdict->lost, 0u);
  status = publisher.GetStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(status->recording().degraded());
  EXPECT_EQ(status->spool().points(), 0u);
  // One warning per outage (and one from the start-up check), not one per
  // retry.
  const std::string log = ReadAll(publisher.log_path());
  size_t warnings = 0;
  for (size_t p = log.find("not InfluxDB"); p != std::string::npos;
       p = log.find("not InfluxDB", p + 1)) {
    ++warnings;
  }
  EXPECT_LE(warnings, 2u) << publisher.LogTail();
  EXPECT_EQ(publisher.Terminate(), 0) << publisher.LogTail();
}

// Item 7 (first half): a 404 from something that is not InfluxDB says
// nothing about the database; the writer must not try to create it.
TEST(OddInfluxTest, Answer404FromSomethingElseCreatesNoDatabase) {
  auto fake = FakeHttpServer::Start([](const HttpRequest&) {
    HttpAnswer a;
    a.status = 404;
    a.body = "404 page not found";
    return a;
  });
  ASSERT_TRUE(fake.ok()) << fake.status();
  PublisherArgs args;
  args.influx_port = (*fake)->port();
  args.spool_dir = TempDir("spool");
  PublisherProcess publisher(args);
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();
  ASSERT_TRUE(WriteLines(publisher, MakeLines("not_found", 0, 0, 100)).ok());
  v1::Status status;
  EXPECT_TRUE(WaitForStatus(
      publisher, absl::Seconds(20),
      [&](const v1::Status&) { return (*fake)->requests("/write") >= 3; }, &status));
  EXPECT_EQ((*fake)->requests("/query"), 0) << "CREATE DATABASE sent to a stranger";
  EXPECT_EQ(status.spool().points(), 100u);
  EXPECT_TRUE(status.recording().degraded());
  EXPECT_TRUE(absl::StrContains(status.influx().last_error(), "not InfluxDB"))
      << status.influx().last_error();
  EXPECT_EQ(publisher.Terminate(), 0) << publisher.LogTail();
}

// Item 7: InfluxDB keeps saying "database not found" although creating it
// succeeds. The writer backs off between attempts, and SIGTERM ends it
// within --shutdown-timeout (2 s) plus a margin.
TEST(OddInfluxTest, DatabaseNotFoundForeverBacksOffAndShutdownEndsInTime) {
  auto fake = FakeHttpServer::Start([](const HttpRequest& r) {
    HttpAnswer a;
    a.headers.push_back(InfluxVersionHeader());
    if (r.path() == "/ping") {
      a.status = 204;
    } else if (r.path() == "/query") {
      a.status = 200;
      a.body = R"({"results":[{"statement_id":0}]})";
    } else {
      a.status = 404;
      a.body = R"({"error":"database not found: \"ocs_feeds\""})";
    }
    return a;
  });
  ASSERT_TRUE(fake.ok()) << fake.status();
  PublisherArgs args;
  args.influx_port = (*fake)->port();
  args.spool_dir = TempDir("spool");
  PublisherProcess publisher(args);
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();
  ASSERT_TRUE(WriteLines(publisher, MakeLines("not_found", 0, 0, 100)).ok());
  absl::SleepFor(absl::Milliseconds(300));
  const int before = (*fake)->requests("/write");
  absl::SleepFor(absl::Seconds(3));
  const int in_window = (*fake)->requests("/write") - before;
  // 100 ms doubling: about 5 attempts in 3 s; without backoff, thousands.
  EXPECT_LE(in_window, 20) << "no backoff between database-not-found retries";
  EXPECT_GE(in_window, 1);
  auto status = publisher.GetStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->spool().points(), 100u);
  EXPECT_TRUE(status->recording().degraded());
  EXPECT_TRUE(absl::StrContains(status->influx().last_error(), "database not found"))
      << status->influx().last_error();

  const absl::Time term = absl::Now();
  const int code = publisher.Terminate(absl::Seconds(15));
  const absl::Duration took = absl::Now() - term;
  EXPECT_EQ(code, 0) << "shutdown hung:\n" << publisher.LogTail();
  EXPECT_LT(took, absl::Seconds(2) + absl::Seconds(3));
  std::cout << "RELIABILITY scenario=database_not_found_forever writes_in_3s=" << in_window
            << " shutdown_s=" << absl::ToDoubleSeconds(took) << std::endl;
}

// Stop() ends a request in flight: InfluxDB answers its ping but never a
// write, and --influx-timeout (30 s) is far longer than --shutdown-timeout
// (2 s). SIGTERM ends the publisher within the drain plus a margin, the
// batch stays in the spool for the next start.
TEST(OddInfluxTest, ShutdownDoesNotWaitForAHungWrite) {
  auto fake = FakeHttpServer::Start([](const HttpRequest& r) {
    HttpAnswer a;
    a.headers.push_back(InfluxVersionHeader());
    if (r.path() == "/ping") {
      a.status = 204;
    } else if (r.path() == "/query") {
      a.body = R"({"results":[{"statement_id":0}]})";
    } else {
      a.hang = true;
    }
    return a;
  });
  ASSERT_TRUE(fake.ok()) << fake.status();
  PublisherArgs args;
  args.influx_port = (*fake)->port();
  args.spool_dir = TempDir("spool");
  args.extra = {"--influx-timeout", "30s"};
  PublisherProcess publisher(args);
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();
  ASSERT_TRUE(WriteLines(publisher, MakeLines("hung", 0, 0, 100)).ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while ((*fake)->requests("/write") < 1 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ((*fake)->requests("/write"), 1) << publisher.LogTail();
  const absl::Time term = absl::Now();
  const int code = publisher.Terminate(absl::Seconds(40));
  const absl::Duration took = absl::Now() - term;
  EXPECT_EQ(code, 0) << publisher.LogTail();
  EXPECT_LT(took, absl::Seconds(2) + absl::Seconds(3)) << publisher.LogTail();
  std::cout << "RELIABILITY scenario=shutdown_during_hung_write shutdown_s="
            << absl::ToDoubleSeconds(took) << std::endl;
  // The batch was not acknowledged: a fresh publisher on the spool has it.
  PublisherProcess again(args);
  ASSERT_TRUE(again.Start().ok()) << again.LogTail();
  auto status = again.GetStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->spool().points(), 100u);
  again.Kill();
}

// Item 6: InfluxDB refuses a line, and its dead-letter file cannot be
// written (the parent "directory" is a regular file). The refused line is
// not lost: its batch stays in the spool, the status says why, and once the
// file can be written the line is there and the batch acknowledged.
TEST(OddInfluxTest, FailedDeadLetterWriteKeepsTheBatch) {
  auto influxd = testing::Influxd::Start();
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  const std::string dir = TempDir("dead-letter");
  const std::string blocker = dir + "/blocker";
  { std::ofstream(blocker) << "a file where a directory should be\n"; }
  const std::string dead_letter = blocker + "/dead-letter.lp";

  PublisherArgs args;
  args.influx_port = (*influxd)->port();
  args.spool_dir = TempDir("spool");
  args.extra = {"--dead-letter-file", dead_letter};
  PublisherProcess publisher(args);
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();

  ASSERT_TRUE(WriteLines(publisher, "refused,w=0 v=1i 1700000000000000000\n").ok());
  ASSERT_TRUE(publisher.Flush(absl::Seconds(30))) << publisher.LogTail();
  // A string where InfluxDB has an integer: refused for its content.
  const std::string bad = "refused,w=0 v=\"text\" 1700000000000001000\n";
  ASSERT_TRUE(WriteLines(publisher, MakeLines("refused_ok", 0, 0, 10) + bad).ok());

  v1::Status status;
  EXPECT_TRUE(WaitForStatus(
      publisher, absl::Seconds(20),
      [](const v1::Status& s) {
        return absl::StrContains(s.influx().last_error(), "dead-letter");
      },
      &status))
      << status.influx().last_error() << "\n" << publisher.LogTail();
  absl::SleepFor(absl::Milliseconds(500));
  auto now = publisher.GetStatus();
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->spool().points(), 11u) << "the refused line was acknowledged unwritten";
  EXPECT_EQ(now->points_dead_lettered(), 0u);
  EXPECT_TRUE(now->recording().degraded());
  // The good lines of the batch landed meanwhile.
  auto good = Verify((*influxd)->port(), "ocs_feeds", "refused_ok", {LedgerOf(10)});
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->landed, 10u);

  // The disk is fixed: the line reaches the dead-letter file.
  ASSERT_EQ(::unlink(blocker.c_str()), 0);
  ASSERT_EQ(::mkdir(blocker.c_str(), 0700), 0);
  ASSERT_TRUE(publisher.Flush(absl::Seconds(60))) << publisher.LogTail();
  now = publisher.GetStatus();
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->spool().points(), 0u);
  EXPECT_EQ(now->points_dead_lettered(), 1u);
  EXPECT_FALSE(now->recording().degraded());
  EXPECT_TRUE(absl::StrContains(ReadAll(dead_letter), bad)) << ReadAll(dead_letter);
  EXPECT_EQ(publisher.Terminate(), 0) << publisher.LogTail();
}

// Item 12: a proxy in front of a real influxd fails every write whose body
// holds the marker line (500, or no answer at all). The batch is halved
// until the marker stands alone: everything before it lands, nothing after
// it (points reach InfluxDB in spool order), and the marker keeps being
// retried, not dead-lettered. Once the proxy lets it pass, the rest lands.
constexpr char kMarker[] = "halving_marker";

void FailingLineStandsAlone(bool hang, int points, int marker_at,
                            const std::string& influx_timeout) {
  auto influxd = testing::Influxd::Start();
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  const int influx_port = (*influxd)->port();
  ASSERT_TRUE((*influxd)->CreateDatabase("ocs_feeds").ok());
  auto failing = [influx_port, hang](const HttpRequest& r) {
    if (r.path() == "/write" && absl::StrContains(r.body, kMarker)) {
      HttpAnswer a;
      a.hang = hang;
      a.status = 500;
      a.headers.push_back(InfluxVersionHeader());
      a.body = R"({"error":"timeout"})";
      return a;
    }
    return FakeHttpServer::Forward(influx_port, r);
  };
  auto proxy = FakeHttpServer::Start(failing);
  ASSERT_TRUE(proxy.ok()) << proxy.status();

  PublisherArgs args;
  args.influx_port = (*proxy)->port();
  args.spool_dir = TempDir("spool");
  args.extra = {"--influx-timeout", influx_timeout};
  PublisherProcess publisher(args);
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();

  const std::string marker = absl::StrCat(kMarker, ",w=0 v=1i ", TimeOf(0, marker_at), "\n");
  const absl::Time written = absl::Now();
  ASSERT_TRUE(WriteLines(publisher, MakeLines("halving", 0, 0, marker_at) + marker +
                                        MakeLines("halving", 0, marker_at, points - marker_at))
                  .ok());

  // Everything before the marker lands, nothing after it.
  absl::StatusOr<Verdict> before;
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  while (absl::Now() < deadline) {
    before = Verify(influx_port, "ocs_feeds", "halving", {LedgerOf(marker_at)});
    if (before.ok() && before->landed + before->unknown >= static_cast<uint64_t>(marker_at)) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->landed, static_cast<uint64_t>(marker_at))
      << "the lines before the failing one never landed\n" << publisher.LogTail();
  EXPECT_EQ(before->unknown, 0u) << "lines after the failing one landed before it";
  const absl::Duration isolated = absl::Now() - written;
  // The marker alone keeps being retried, with backoff.
  const int writes = (*proxy)->requests("/write");
  absl::SleepFor(absl::Seconds(1));
  auto status = publisher.GetStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->spool().points(), static_cast<uint64_t>(points + 1));
  EXPECT_EQ(status->points_dead_lettered(), 0u);
  EXPECT_TRUE(status->recording().degraded());
  EXPECT_FALSE(status->influx().last_error().empty());
  EXPECT_GT(status->writes().batches_split(), 0u);
  const int writes_in_1s = (*proxy)->requests("/write") - writes;
  EXPECT_LE(writes_in_1s, 15);
  std::cout << "RELIABILITY scenario=failing_line_" << (hang ? "timeout" : "500")
            << " points=" << points << " marker_at=" << marker_at
            << " before_landed_s=" << absl::ToDoubleSeconds(isolated)
            << " splits=" << status->writes().batches_split()
            << " writes_in_1s_after=" << writes_in_1s << std::endl;

  (*proxy)->SetHandler(
      [influx_port](const HttpRequest& r) { return FakeHttpServer::Forward(influx_port, r); });
  ASSERT_TRUE(publisher.Flush(absl::Seconds(60))) << publisher.LogTail();
  auto all = Verify(influx_port, "ocs_feeds", "halving", {LedgerOf(points)});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->landed, static_cast<uint64_t>(points));
  EXPECT_EQ(all->lost, 0u);
  auto marker_rows = InfluxQuery(influx_port, "ocs_feeds",
                                 absl::StrCat("SELECT count(v) FROM ", kMarker));
  ASSERT_TRUE(marker_rows.ok());
  EXPECT_TRUE(absl::StrContains(*marker_rows, ",1]")) << *marker_rows;
  status = publisher.GetStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->spool().points(), 0u);
  EXPECT_FALSE(status->recording().degraded());
  EXPECT_EQ(publisher.Terminate(), 0) << publisher.LogTail();
}

TEST(OddInfluxTest, LineThatAlways500sStandsAloneAfterHalving) {
  FailingLineStandsAlone(/*hang=*/false, 1000, 600, "5s");
}

TEST(OddInfluxTest, LineThatAlwaysTimesOutStandsAloneAfterHalving) {
  FailingLineStandsAlone(/*hang=*/true, 60, 37, "500ms");
}

}  // namespace
}  // namespace ocs_influx::faults
