// Load generator for end-to-end runs: pushes points of N float fields into a
// running publisher, either as fast as it takes them over WriteStream
// (throughput) or at a fixed rate with unary WriteLines calls, timing each
// durable acknowledgement (latency). Prints one line of key=value figures.
//
//   load_generator --target 127.0.0.1:50051 --points 1000000 --mode stream
//   load_generator --target ... --mode unary --rate 10000 --seconds 30
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/flags/flags.h"
#include "grpcpp/grpcpp.h"
#include "proto/publisher.grpc.pb.h"
#include "service/core/float_format.h"

namespace {

namespace v1 = ocs::influx::v1;

// Lines of `fields` float fields; timestamps unique per (stream, index) so
// InfluxDB stores every point.
void MakeLines(int stream, int64_t first, int count, int fields, std::string* out) {
  out->clear();
  const int64_t base = 1700000000000000000LL + stream * 1000000000000LL;
  for (int64_t i = first; i < first + count; ++i) {
    absl::StrAppend(out, "load,stream=s", stream, " ");
    for (int f = 0; f < fields; ++f) {
      absl::StrAppend(out, f == 0 ? "" : ",", "f", f, "=");
      ocs_influx::core::AppendDouble(0.001 * static_cast<double>(i % 100000) + f, out);
    }
    absl::StrAppend(out, " ", base + i, "\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string target = "127.0.0.1:50051";
  std::string mode = "stream";
  int64_t points = 100000, batch = 1000, fields = 16, streams = 1, rate = 10000;
  absl::Duration seconds = absl::Seconds(10);
  ocs_influx::flags::FlagSet flags(
      "load_generator [FLAGS]",
      "Pushes float points into a running publisher and reports the rate and "
      "acknowledgement latency.");
  flags.AddString("target", &target, "Publisher gRPC address.");
  flags.AddChoice("mode", &mode, {"stream", "unary"},
                  "stream: WriteStream as fast as accepted; unary: WriteLines "
                  "calls at --rate, timing each acknowledgement.");
  flags.AddInt("points", &points, 1, int64_t{1} << 40, "Points per stream (stream mode).");
  flags.AddInt("batch", &batch, 1, 1000000, "Points per message.");
  flags.AddInt("fields", &fields, 1, 1000, "Float fields per point.");
  flags.AddInt("streams", &streams, 1, 64, "Concurrent clients.");
  flags.AddInt("rate", &rate, 1, 100000000, "Points per second in all (unary mode).");
  flags.AddDuration("seconds", &seconds, "Duration (unary mode).");
  std::vector<std::string> positional;
  absl::Status parsed =
      flags.Parse(std::vector<std::string>(argv + 1, argv + argc), &positional);
  if (flags.help_requested()) {
    std::fputs(flags.Usage().c_str(), stdout);
    return 0;
  }
  if (!parsed.ok()) {
    std::fprintf(stderr, "load_generator: %s\n", std::string(parsed.message()).c_str());
    return 2;
  }
  std::atomic<int64_t> accepted{0};
  std::atomic<int> failures{0};
  std::vector<std::vector<double>> latencies(streams);
  absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int s = 0; s < streams; ++s) {
    threads.emplace_back([&, s] {
      auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
      auto stub = v1::Publisher::NewStub(channel);
      std::string lines;
      if (mode == "stream") {
        grpc::ClientContext context;
        v1::WriteResponse response;
        auto writer = stub->WriteStream(&context, &response);
        v1::WriteStreamRequest message;
        for (int64_t i = 0; i < points; i += batch) {
          int n = static_cast<int>(std::min<int64_t>(batch, points - i));
          MakeLines(s, i, n, static_cast<int>(fields), &lines);
          message.mutable_lines()->set_lines(lines);
          if (!writer->Write(message)) break;
        }
        writer->WritesDone();
        grpc::Status status = writer->Finish();
        if (!status.ok()) {
          std::fprintf(stderr, "stream %d: %s\n", s, status.error_message().c_str());
          failures++;
        }
        accepted += static_cast<int64_t>(response.points_accepted());
        return;
      }
      // Unary: each stream sends batch-sized calls at rate/streams points/s.
      const double calls_per_second =
          static_cast<double>(rate) / static_cast<double>(streams * batch);
      const absl::Duration period = absl::Seconds(1.0 / calls_per_second);
      absl::Time next = absl::Now();
      int64_t i = 0;
      while (absl::Now() - start < seconds) {
        MakeLines(s, i, static_cast<int>(batch), static_cast<int>(fields), &lines);
        v1::WriteLinesRequest request;
        request.set_lines(lines);
        grpc::ClientContext context;
        v1::WriteResponse response;
        absl::Time t0 = absl::Now();
        grpc::Status status = stub->WriteLines(&context, request, &response);
        latencies[s].push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
        if (!status.ok()) {
          failures++;
        } else {
          accepted += static_cast<int64_t>(response.points_accepted());
        }
        i += batch;
        next += period;
        absl::SleepFor(next - absl::Now());
      }
    });
  }
  for (auto& t : threads) t.join();
  double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  std::string out = absl::StrCat("mode=", mode, " accepted=", accepted.load(),
                                 " seconds=", elapsed, " points_per_second=",
                                 static_cast<int64_t>(accepted.load() / elapsed),
                                 " failures=", failures.load());
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  if (!all.empty()) {
    std::sort(all.begin(), all.end());
    auto pct = [&](double q) {
      size_t k = std::min(all.size() - 1, static_cast<size_t>(q * all.size()));
      return all[k];
    };
    absl::StrAppend(&out, " calls=", all.size(), " ack_p50_ms=", pct(0.5),
                    " ack_p99_ms=", pct(0.99), " ack_max_ms=", all.back());
  }
  std::puts(out.c_str());
  return failures.load() == 0 ? 0 : 1;
}
