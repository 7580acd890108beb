#include "tests/support/influxd.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ocs_influx::testing {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t AppendToString(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::string Errno(const std::string& what) {
  return absl::StrCat(what, ": ", std::strerror(errno));
}

// InfluxQL double-quoted identifier.
std::string QuoteIdent(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

// InfluxQL single-quoted string literal.
std::string QuoteString(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

std::string TempRoot() {
  const char* t = ::getenv("TEST_TMPDIR");
  return (t != nullptr && *t != '\0') ? t : "/tmp";
}

std::string FindBinary() {
  const char* env = ::getenv("INFLUXD");
  if (env != nullptr && *env != '\0') return env;
  if (::access("/usr/bin/influxd", X_OK) == 0) return "/usr/bin/influxd";
  return "influxd";  // execvp searches PATH
}

// The helper talks to its own server: a self-signed test certificate is fine.
void NoVerify(CURL* curl) {
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
}

// One GET of /ping with a short timeout: true on 204.
bool PingOnce(const std::string& base_url) {
  CurlPtr curl(curl_easy_init());
  if (!curl) return false;
  std::string url = base_url + "/ping";
  std::string body;
  NoVerify(curl.get());
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 1000L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, AppendToString);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  if (curl_easy_perform(curl.get()) != CURLE_OK) return false;
  long code = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
  return code == 204;
}

// True if process `pid` holds the listening TCP socket on 127.0.0.1:port.
// A /ping answer alone is not proof: another server (an earlier influxd of
// the same test, say) may own the port while ours failed to bind it.
bool ListensOn(pid_t pid, int port) {
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line);  // header
  std::string inode;
  char want[16];
  std::snprintf(want, sizeof(want), "0100007F:%04X", port);
  while (std::getline(tcp, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, state, queues, tr, retr, uid, timeout, ino;
    f >> sl >> local >> remote >> state >> queues >> tr >> retr >> uid >> timeout >> ino;
    if (local == want && state == "0A") {
      inode = ino;
      break;
    }
  }
  if (inode.empty()) return false;
  const std::string target = "socket:[" + inode + "]";
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code ec2;
    if (std::filesystem::read_symlink(entry.path(), ec2).string() == target) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<int> PickFreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(Errno("socket"));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string err = Errno("bind/getsockname 127.0.0.1:0");
    ::close(fd);
    return absl::InternalError(err);
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

absl::StatusOr<std::unique_ptr<Influxd>> Influxd::Start(const InfluxdOptions& options) {
  GlobalInitOnce();
  std::unique_ptr<Influxd> d(new Influxd());
  d->options_ = options;
  d->binary_ = FindBinary();
  if (options.data_dir.empty()) {
    std::string tmpl = TempRoot() + "/influxd.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      return absl::InternalError(Errno("mkdtemp " + tmpl));
    }
    d->dir_ = tmpl;
    d->owns_dir_ = true;
  } else {
    d->dir_ = options.data_dir;
    std::error_code ec;
    std::filesystem::create_directories(d->dir_, ec);
    if (ec) return absl::InternalError("create " + d->dir_ + ": " + ec.message());
  }
  d->config_path_ = d->dir_ + "/influxd.conf";

  // A port picked by us can be taken by someone else before influxd binds it;
  // with auto-picked ports that race is retried with fresh ones.
  const int attempts = options.port == 0 ? 3 : 1;
  absl::Status status;
  for (int i = 0; i < attempts; ++i) {
    if (options.port != 0) {
      d->port_ = options.port;
    } else {
      absl::StatusOr<int> p = PickFreeLoopbackPort();
      if (!p.ok()) return p.status();
      d->port_ = *p;
    }
    absl::StatusOr<int> rpc = PickFreeLoopbackPort();
    if (!rpc.ok()) return rpc.status();
    d->rpc_port_ = *rpc;
    if (d->rpc_port_ == d->port_) continue;

    status = d->WriteConfig();
    if (!status.ok()) return status;
    status = d->Spawn();
    if (!status.ok()) return status;
    status = d->WaitReady(options.start_timeout);
    if (status.ok()) return d;
    (void)d->Terminate(SIGKILL, absl::Seconds(5));
    if (!absl::StrContains(d->LogTail(), "address already in use")) break;
  }
  return status;
}

Influxd::~Influxd() {
  if (pid_ > 0) (void)Stop();
  if (owns_dir_ && !dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string Influxd::url() const {
  return absl::StrCat(https() ? "https" : "http", "://127.0.0.1:", port_);
}

std::string Influxd::log_path() const { return dir_ + "/influxd.log"; }

absl::Status Influxd::WriteConfig() {
  std::ostringstream c;
  // Only the settings a test cares about; the rest are influxd's defaults.
  // Everything listens on loopback, and every optional listener is off.
  c << "reporting-disabled = true\n"
    << "bind-address = \"127.0.0.1:" << rpc_port_ << "\"\n"
    << "[meta]\n"
    << "  dir = \"" << dir_ << "/meta\"\n"
    << "  logging-enabled = false\n"
    << "[data]\n"
    << "  dir = \"" << dir_ << "/data\"\n"
    << "  wal-dir = \"" << dir_ << "/wal\"\n"
    << "  query-log-enabled = false\n"
    << "  trace-logging-enabled = false\n"
    << "[monitor]\n"
    << "  store-enabled = false\n"
    << "[subscriber]\n"
    << "  enabled = false\n"
    << "[http]\n"
    << "  enabled = true\n"
    << "  bind-address = \"127.0.0.1:" << port_ << "\"\n"
    << "  auth-enabled = " << (options_.auth_enabled ? "true" : "false") << "\n"
    << "  log-enabled = false\n"
    << "  pprof-enabled = false\n"
    << "  unix-socket-enabled = false\n";
  if (options_.max_body_size > 0) c << "  max-body-size = " << options_.max_body_size << "\n";
  if (https()) {
    c << "  https-enabled = true\n"
      << "  https-certificate = \"" << options_.https_certificate << "\"\n"
      << "  https-private-key = \"" << options_.https_private_key << "\"\n";
  }
  c << "[ifql]\n"
    << "  enabled = false\n"
    << "[continuous_queries]\n"
    << "  log-enabled = false\n"
    << "[logging]\n"
    << "  level = \"warn\"\n"
    << "  suppress-logo = true\n";
  std::ofstream f(config_path_, std::ios::trunc);
  f << c.str();
  f.close();
  if (!f) return absl::InternalError("cannot write " + config_path_);
  return absl::OkStatus();
}

absl::Status Influxd::Spawn() {
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls are allowed in a possibly threaded process.
  std::string log = log_path();
  std::vector<std::string> args = {binary_, "-config", config_path_};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError(Errno("open " + log));
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return absl::InternalError(Errno("fork"));
  }
  if (pid == 0) {
    // A crashed test must not leave a server behind.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execvp(argv[0], argv.data());
    static const char kMsg[] = "exec influxd failed\n";
    (void)!::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;
  return absl::OkStatus();
}

absl::Status Influxd::WaitReady(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int wstatus = 0;
    pid_t r = ::waitpid(pid_, &wstatus, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat(
          "influxd exited during start-up (status ", wstatus, "); log tail:\n", LogTail()));
    }
    if (PingOnce(url()) && ListensOn(pid_, port_)) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "influxd did not answer /ping on port ", port_, " within ",
      absl::FormatDuration(timeout), "; log tail:\n", LogTail()));
}

absl::Status Influxd::Terminate(int signal, absl::Duration wait) {
  if (pid_ <= 0) return absl::OkStatus();
  ::kill(pid_, signal);
  // A paused server would sit on SIGTERM until the grace period ends.
  ::kill(pid_, SIGCONT);
  const absl::Time deadline = absl::Now() + wait;
  for (;;) {
    int wstatus = 0;
    pid_t r = ::waitpid(pid_, &wstatus, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = -1;
      return absl::OkStatus();
    }
    if (absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  // Lingered past the grace period: no more asking.
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return absl::DeadlineExceededError(absl::StrCat(
      "influxd ignored signal ", signal, " for ", absl::FormatDuration(wait),
      "; killed"));
}

absl::Status Influxd::Stop() { return Terminate(SIGTERM, absl::Seconds(15)); }

absl::Status Influxd::Kill() { return Terminate(SIGKILL, absl::Seconds(5)); }

absl::Status Influxd::Pause() {
  if (pid_ <= 0) return absl::FailedPreconditionError("influxd is not running");
  if (::kill(pid_, SIGSTOP) != 0) return absl::InternalError(Errno("kill SIGSTOP"));
  return absl::OkStatus();
}

absl::Status Influxd::Resume() {
  if (pid_ <= 0) return absl::FailedPreconditionError("influxd is not running");
  if (::kill(pid_, SIGCONT) != 0) return absl::InternalError(Errno("kill SIGCONT"));
  return absl::OkStatus();
}

absl::Status Influxd::Restart() {
  if (pid_ > 0) {
    absl::Status s = Stop();
    if (!s.ok()) return s;
  }
  absl::Status s = Spawn();
  if (!s.ok()) return s;
  s = WaitReady(options_.start_timeout);
  if (!s.ok()) (void)Terminate(SIGKILL, absl::Seconds(5));
  return s;
}

absl::StatusOr<std::string> Influxd::Query(std::string_view db, std::string_view q,
                                           std::string_view user,
                                           std::string_view password) {
  GlobalInitOnce();
  CurlPtr curl(curl_easy_init());
  if (!curl) return absl::InternalError("curl_easy_init failed");
  auto escape = [&](std::string_view s) {
    char* e = curl_easy_escape(curl.get(), s.data(), static_cast<int>(s.size()));
    std::string out = e != nullptr ? e : "";
    curl_free(e);
    return out;
  };
  std::string form = "q=" + escape(q);
  if (!db.empty()) form += "&db=" + escape(db);
  std::string url_str = url() + "/query";
  std::string body;
  std::string user_s(user), pass_s(password);
  NoVerify(curl.get());
  curl_easy_setopt(curl.get(), CURLOPT_URL, url_str.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, form.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(form.size()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, AppendToString);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  if (!user_s.empty()) {
    curl_easy_setopt(curl.get(), CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(curl.get(), CURLOPT_USERNAME, user_s.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, pass_s.c_str());
  }
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat("query ", url_str, ": ", curl_easy_strerror(rc)));
  }
  long code = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
  if (code < 200 || code > 299) {
    return absl::UnknownError(absl::StrCat("query: HTTP ", code, ": ", body));
  }
  return body;
}

absl::Status Influxd::CreateDatabase(std::string_view db, std::string_view user,
                                     std::string_view password) {
  absl::StatusOr<std::string> r =
      Query("", "CREATE DATABASE " + QuoteIdent(db), user, password);
  if (!r.ok()) return r.status();
  if (absl::StrContains(*r, "\"error\"")) return absl::UnknownError(*r);
  return absl::OkStatus();
}

absl::Status Influxd::CreateAdminUser(std::string_view user, std::string_view password) {
  absl::StatusOr<std::string> r =
      Query("", absl::StrCat("CREATE USER ", QuoteIdent(user), " WITH PASSWORD ",
                             QuoteString(password), " WITH ALL PRIVILEGES"));
  if (!r.ok()) return r.status();
  if (absl::StrContains(*r, "\"error\"")) return absl::UnknownError(*r);
  return absl::OkStatus();
}

std::string Influxd::LogTail(size_t max_bytes) const {
  std::ifstream f(log_path(), std::ios::binary);
  if (!f) return "(no log)";
  f.seekg(0, std::ios::end);
  std::streamoff size = f.tellg();
  std::streamoff start = size > static_cast<std::streamoff>(max_bytes)
                             ? size - static_cast<std::streamoff>(max_bytes)
                             : 0;
  f.seekg(start);
  std::string out(static_cast<size_t>(size - start), '\0');
  f.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

}  // namespace ocs_influx::testing
