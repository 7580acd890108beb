#include "common/signals/stop_signals.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <utility>

namespace ocs_influx::signals {
namespace {

sigset_t StopSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockStopSignals() {
  const sigset_t set = StopSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForStopSignal() {
  const sigset_t set = StopSet();
  int signal_number = 0;
  // sigwait fails only for an invalid set; retry rather than report a
  // signal that did not come.
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
}

const char* SignalName(int signal_number) {
  switch (signal_number) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default: {
      static thread_local char name[24];
      std::snprintf(name, sizeof(name), "signal %d", signal_number);
      return name;
    }
  }
}

StopSignalThread::StopSignalThread(std::function<void(int)> on_signal)
    : thread_([this, on_signal = std::move(on_signal)] {
        const int signal_number = WaitForStopSignal();
        if (!cancelled_.load()) on_signal(signal_number);
      }) {}

StopSignalThread::~StopSignalThread() {
  // A SIGTERM aimed at this thread alone wakes its sigwait; the flag tells
  // it that no one sent it. If a real signal came first, this one stays
  // pending on the thread and dies with it.
  cancelled_.store(true);
  pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
}

}  // namespace ocs_influx::signals
