// One line per event, to stderr, with a UTC time and a level letter:
//   2026-11-27T23:59:59.123Z I spool: recovered 3 segments, 1200 points
// Each line goes out in one write(2), so lines from threads never interleave.
// Never pass a secret to it.
#ifndef OCS_INFLUX_COMMON_LOG_LOG_H_
#define OCS_INFLUX_COMMON_LOG_LOG_H_

#include <string_view>

#include "absl/strings/str_format.h"

namespace ocs_influx::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Lines below `level` are not written. Default: kInfo.
void SetMinLevel(Level level);
bool Enabled(Level level);

// Parses "debug", "info", "warning", "error".
bool ParseLevel(std::string_view text, Level* level);

void Write(Level level, std::string_view message);

}  // namespace ocs_influx::log

#define OI_LOG_AT(level, ...)                                   \
  do {                                                          \
    if (::ocs_influx::log::Enabled(level)) {                    \
      ::ocs_influx::log::Write(level, absl::StrFormat(__VA_ARGS__)); \
    }                                                           \
  } while (0)

#define LOG_DEBUG(...) OI_LOG_AT(::ocs_influx::log::Level::kDebug, __VA_ARGS__)
#define LOG_INFO(...) OI_LOG_AT(::ocs_influx::log::Level::kInfo, __VA_ARGS__)
#define LOG_WARNING(...) OI_LOG_AT(::ocs_influx::log::Level::kWarning, __VA_ARGS__)
#define LOG_ERROR(...) OI_LOG_AT(::ocs_influx::log::Level::kError, __VA_ARGS__)

#endif  // OCS_INFLUX_COMMON_LOG_LOG_H_
