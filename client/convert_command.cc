#include "client/convert_command.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "client/command_io.h"
#include "client/paths.h"
#include "common/flags/flags.h"
#include "proto/publisher.pb.h"
#include "service/core/feed_convert.h"
#include "service/core/publication.h"

namespace ocs_influx::client {
namespace {

void WriteAll(const CommandIo& io, const std::string& text) {
  io.out->write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace

int RunConvert(const std::vector<std::string>& args, const CommandIo& io) {
  flags::FlagSet flag_set(
      "publisherctl convert [FILE]",
      "Reads OCS feed publications, one JSON array [message, feed] per line\n"
      "(as they travel on <agent_address>.feeds.<feed_name>), from FILE or\n"
      "standard input, and prints the InfluxDB line protocol the publisher\n"
      "would write for them. Feeds with record false or exclude_influx are\n"
      "skipped. What is dropped by rule (NaN, Inf, nulls, times out of range)\n"
      "is summed up on standard error. A malformed line is reported with its\n"
      "line number and the rest are still converted; the exit status is then 1.");
  std::vector<std::string> positional;
  if (std::optional<int> exit =
          ParseCommandFlags(flag_set, args, "convert", {1, "FILE"}, &positional, io)) {
    return *exit;
  }
  std::ifstream file;
  std::istream* in = io.in;
  std::string name = "stdin";
  if (!positional.empty() && positional[0] != "-") {
    name = ResolveUserPath(positional[0]);
    file.open(name);
    if (!file) {
      return ReportUsageError(io, "convert", absl::StrCat("cannot open ", name));
    }
    in = &file;
  }

  core::FeedConverter converter;
  core::EncodeResult total;
  ocs::influx::v1::OcsFeed feed;
  std::string line;
  std::string out;
  uint64_t line_number = 0, failed = 0, publications = 0, skipped = 0;
  while (std::getline(*in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    absl::Status s = core::PublicationJsonToFeed(line, &feed);
    if (s.ok()) {
      s = converter.Convert(feed, &out, &total);
      if (s.ok() && (!feed.record() || feed.agg_params().exclude_influx())) {
        ++skipped;
      }
    }
    if (!s.ok()) {
      ++failed;
      *io.err << name << ":" << line_number << ": " << s.message() << "\n";
      continue;
    }
    ++publications;
    if (out.size() > (1 << 16)) {
      WriteAll(io, out);
      out.clear();
    }
  }
  WriteAll(io, out);
  io.out->flush();

  std::string summary = absl::StrCat(
      "publisherctl convert: ", publications, " publications (", skipped,
      " not recorded or excluded), ", total.points, " points");
  for (int r = 0; r < static_cast<int>(core::DropReason::kCount); ++r) {
    auto reason = static_cast<core::DropReason>(r);
    if (total.dropped.Get(reason) > 0) {
      absl::StrAppend(&summary, ", dropped ", core::DropReasonName(reason), "=",
                      total.dropped.Get(reason));
    }
  }
  if (failed > 0) absl::StrAppend(&summary, ", ", failed, " lines failed");
  *io.err << summary << "\n";
  return failed > 0 ? 1 : 0;
}

}  // namespace ocs_influx::client
