#include "tests/faults/delay_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ocs_influx::faults {
namespace {

constexpr int kPollMs = 50;

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DelayProxy>> DelayProxy::Start(int upstream_port) {
  std::unique_ptr<DelayProxy> proxy(new DelayProxy());
  proxy->upstream_port_ = upstream_port;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  proxy->listen_fd_ = fd;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = Loopback(0);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd, 64) != 0) {
    return absl::InternalError(absl::StrCat("bind/listen: ", std::strerror(errno)));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  proxy->port_ = ntohs(addr.sin_port);
  DelayProxy* p = proxy.get();
  proxy->acceptor_ = std::thread([p] { p->AcceptLoop(); });
  return proxy;
}

DelayProxy::~DelayProxy() {
  stop_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> pumps;
  std::vector<int> fds;
  {
    absl::MutexLock lock(&mu_);
    pumps.swap(pumps_);
    fds.swap(fds_);
  }
  for (std::thread& t : pumps) t.join();  // each notices stop_ within kPollMs
  for (int fd : fds) ::close(fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void DelayProxy::SetDelay(absl::Duration delay) { delay_ns_ = absl::ToInt64Nanoseconds(delay); }

void DelayProxy::SetStalled(bool stalled) { stalled_ = stalled; }

bool DelayProxy::WaitUnstalled() {
  while (stalled_ && !stop_) absl::SleepFor(absl::Milliseconds(10));
  return !stop_;
}

void DelayProxy::AcceptLoop() {
  while (!stop_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, kPollMs) <= 0) continue;
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = Loopback(upstream_port_);
    if (upstream < 0 ||
        ::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      if (upstream >= 0) ::close(upstream);
      ::close(client);  // upstream down: the client sees a refused/reset connection
      continue;
    }
    int one = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ::setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ++connections_;
    absl::MutexLock lock(&mu_);
    fds_.push_back(client);
    fds_.push_back(upstream);
    pumps_.emplace_back([this, client, upstream] { Pump(client, upstream, false); });
    pumps_.emplace_back([this, client, upstream] { Pump(upstream, client, true); });
  }
}

void DelayProxy::Pump(int from, int to, bool answers) {
  char buf[64 * 1024];
  while (!stop_) {
    pollfd pfd{from, POLLIN, 0};
    int r = ::poll(&pfd, 1, kPollMs);
    if (r == 0) continue;
    if (r < 0 && errno == EINTR) continue;
    ssize_t n = r < 0 ? -1 : ::read(from, buf, sizeof(buf));
    if (n <= 0) break;
    if (!WaitUnstalled()) break;
    if (answers) {
      const absl::Time until = absl::Now() + absl::Nanoseconds(delay_ns_.load());
      while (!stop_ && absl::Now() < until) {
        absl::SleepFor(std::min(until - absl::Now(), absl::Milliseconds(kPollMs)));
      }
      if (!WaitUnstalled()) break;
    }
    ssize_t done = 0;
    while (done < n) {
      ssize_t w = ::send(to, buf + done, static_cast<size_t>(n - done), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        done = -1;
        break;
      }
      done += w;
    }
    if (done < 0) break;
  }
  // Either side gone: end both directions; the fds are closed at the end.
  ::shutdown(from, SHUT_RDWR);
  ::shutdown(to, SHUT_RDWR);
}

}  // namespace ocs_influx::faults
