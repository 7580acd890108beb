#include "common/log/log.h"

#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/fd/fd.h"

namespace ocs_influx::log {
namespace {

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};

char Letter(Level level) {
  switch (level) {
    case Level::kDebug: return 'D';
    case Level::kInfo: return 'I';
    case Level::kWarning: return 'W';
    case Level::kError: return 'E';
  }
  return '?';
}

}  // namespace

void SetMinLevel(Level level) { min_level.store(static_cast<int>(level)); }

bool Enabled(Level level) {
  return static_cast<int>(level) >= min_level.load(std::memory_order_relaxed);
}

bool ParseLevel(std::string_view text, Level* level) {
  if (text == "debug") *level = Level::kDebug;
  else if (text == "info") *level = Level::kInfo;
  else if (text == "warning") *level = Level::kWarning;
  else if (text == "error") *level = Level::kError;
  else return false;
  return true;
}

void Write(Level level, std::string_view message) {
  std::string line = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                      absl::UTCTimeZone());
  line += ' ';
  line += Letter(level);
  line += ' ';
  // One event, one line: a newline inside the message would forge a second.
  for (char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  // Nowhere to report a failing stderr.
  fd::WriteAll(STDERR_FILENO, "stderr", line).IgnoreError();
}

}  // namespace ocs_influx::log
