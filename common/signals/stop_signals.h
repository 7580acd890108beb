// How the programs stop: SIGINT or SIGTERM, received by one thread through
// sigwait(2), never by an asynchronous handler (which may call almost
// nothing). The signals are blocked first, before any thread starts, so
// that every thread inherits the mask and none of them is interrupted.
#ifndef OCS_INFLUX_COMMON_SIGNALS_STOP_SIGNALS_H_
#define OCS_INFLUX_COMMON_SIGNALS_STOP_SIGNALS_H_

#include <atomic>
#include <functional>
#include <thread>

namespace ocs_influx::signals {

// Blocks SIGINT and SIGTERM in the calling thread. Call in main() before
// any thread starts (gRPC and the spool start theirs at Create/Start).
void BlockStopSignals();

// Waits until SIGINT or SIGTERM arrives (BlockStopSignals first); returns
// which.
int WaitForStopSignal();

// "SIGINT", "SIGTERM", else "signal N".
const char* SignalName(int signal_number);

// A thread that waits for SIGINT or SIGTERM and then runs on_signal(which)
// once, on that thread (BlockStopSignals first). For a main thread that has
// other work, such as running the adapter. Destroying it before a signal
// came ends the thread without running on_signal.
class StopSignalThread {
 public:
  explicit StopSignalThread(std::function<void(int signal_number)> on_signal);
  ~StopSignalThread();
  StopSignalThread(const StopSignalThread&) = delete;
  StopSignalThread& operator=(const StopSignalThread&) = delete;

 private:
  std::atomic<bool> cancelled_{false};
  std::thread thread_;
};

}  // namespace ocs_influx::signals

#endif  // OCS_INFLUX_COMMON_SIGNALS_STOP_SIGNALS_H_
