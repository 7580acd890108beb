#include "tests/faults/fake_http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ocs_influx::faults {
namespace {

constexpr int kPollMs = 50;
constexpr size_t kMaxRequestBytes = 64 << 20;

// Reads more into *buf; false on EOF, error or stop.
bool ReadMore(int fd, const std::atomic<bool>& stop, std::string* buf) {
  char chunk[64 * 1024];
  while (!stop) {
    pollfd pfd{fd, POLLIN, 0};
    int r = ::poll(&pfd, 1, kPollMs);
    if (r == 0 || (r < 0 && errno == EINTR)) continue;
    if (r < 0) return false;
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf->append(chunk, static_cast<size_t>(n));
    return buf->size() <= kMaxRequestBytes;
  }
  return false;
}

bool SendAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    done += static_cast<size_t>(w);
  }
  return true;
}

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t KeepInfluxHeaders(char* data, size_t size, size_t n, void* out) {
  absl::string_view line(data, size * n);
  if (absl::StartsWithIgnoreCase(line, "x-influxdb-")) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(':', 1));
    static_cast<HttpAnswer*>(out)->headers.emplace_back(
        std::string(absl::StripAsciiWhitespace(kv.first)),
        std::string(absl::StripAsciiWhitespace(kv.second)));
  }
  return size * n;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FakeHttpServer>> FakeHttpServer::Start(Handler handler) {
  std::unique_ptr<FakeHttpServer> server(new FakeHttpServer());
  server->SetHandler(std::move(handler));
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  server->listen_fd_ = fd;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd, 64) != 0) {
    return absl::InternalError(absl::StrCat("bind/listen: ", std::strerror(errno)));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  server->port_ = ntohs(addr.sin_port);
  FakeHttpServer* s = server.get();
  server->acceptor_ = std::thread([s] { s->AcceptLoop(); });
  return server;
}

FakeHttpServer::~FakeHttpServer() {
  stop_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> threads;
  std::vector<int> fds;
  {
    absl::MutexLock lock(&mu_);
    threads.swap(threads_);
    fds.swap(fds_);
  }
  for (std::thread& t : threads) t.join();  // each notices stop_ within kPollMs
  for (int fd : fds) ::close(fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void FakeHttpServer::SetHandler(Handler handler) {
  absl::MutexLock lock(&mu_);
  handler_ = std::move(handler);
}

int FakeHttpServer::requests(const std::string& path) const {
  absl::MutexLock lock(&mu_);
  if (path.empty()) return static_cast<int>(seen_paths_.size());
  int n = 0;
  for (const std::string& p : seen_paths_) n += p == path ? 1 : 0;
  return n;
}

void FakeHttpServer::AcceptLoop() {
  while (!stop_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, kPollMs) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    absl::MutexLock lock(&mu_);
    fds_.push_back(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FakeHttpServer::Serve(int fd) {
  std::string buf;
  while (!stop_) {
    size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadMore(fd, stop_, &buf)) return;
    }
    HttpRequest request;
    size_t content_length = 0;
    std::vector<absl::string_view> lines =
        absl::StrSplit(absl::string_view(buf).substr(0, head_end), "\r\n");
    std::vector<absl::string_view> first = absl::StrSplit(lines[0], ' ');
    if (first.size() < 2) return;
    request.method = std::string(first[0]);
    request.target = std::string(first[1]);
    for (size_t i = 1; i < lines.size(); ++i) {
      if (absl::StartsWithIgnoreCase(lines[i], "content-length:")) {
        if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(lines[i].substr(15)),
                              &content_length)) {
          return;
        }
      }
    }
    const size_t total = head_end + 4 + content_length;
    while (buf.size() < total) {
      if (!ReadMore(fd, stop_, &buf)) return;
    }
    request.body = buf.substr(head_end + 4, content_length);
    buf.erase(0, total);

    Handler handler;
    {
      absl::MutexLock lock(&mu_);
      handler = handler_;
      seen_paths_.push_back(request.path());
    }
    HttpAnswer answer = handler(request);
    if (answer.hang) {
      // Until the client gives up and closes (or the test ends).
      std::string ignored;
      while (ReadMore(fd, stop_, &ignored)) ignored.clear();
      return;
    }
    std::string out = absl::StrCat("HTTP/1.1 ", answer.status, " Fake\r\n");
    for (const auto& [k, v] : answer.headers) absl::StrAppend(&out, k, ": ", v, "\r\n");
    absl::StrAppend(&out, "Content-Length: ", answer.body.size(), "\r\n\r\n", answer.body);
    if (!SendAll(fd, out)) return;
  }
}

HttpAnswer FakeHttpServer::Forward(int port, const HttpRequest& request) {
  HttpAnswer answer;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    answer.status = 502;
    return answer;
  }
  const std::string url = absl::StrCat("http://127.0.0.1:", port, request.target);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
  if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, KeepInfluxHeaders);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &answer);
  long code = 0;
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  }
  curl_easy_cleanup(curl);
  answer.status = code > 0 ? static_cast<int>(code) : 502;
  return answer;
}

}  // namespace ocs_influx::faults
