// The dead-letter file: points InfluxDB refused for their content (parse
// errors, field type conflicts). Each entry is a comment line with the time
// and InfluxDB's answer, then the refused lines, so the file can be fixed by
// hand and replayed as it is:
//   curl -XPOST 'http://influxdb:8086/write?db=ocs_feeds' --data-binary @FILE
// (InfluxDB skips '#' lines.)
#ifndef OCS_INFLUX_SERVICE_ENGINE_DEAD_LETTER_H_
#define OCS_INFLUX_SERVICE_ENGINE_DEAD_LETTER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace ocs_influx::server {

class DeadLetterFile {
 public:
  explicit DeadLetterFile(std::string path) : path_(std::move(path)) {}

  // Appends and fsyncs: a dead-lettered point is acknowledged in the spool
  // right after, so this file is then its only copy.
  absl::Status Append(long http_status, absl::string_view error,
                      absl::string_view lines);
  const std::string& path() const { return path_; }

 private:
  const std::string path_;
  absl::Mutex mu_;
};

}  // namespace ocs_influx::server

#endif  // OCS_INFLUX_SERVICE_ENGINE_DEAD_LETTER_H_
