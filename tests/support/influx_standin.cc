#include "tests/support/influx_standin.h"

#include <curl/curl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace ocs_influx::testing {
namespace {

constexpr char kScript[] = "tests/support/influx_v2v3_standin.py";

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One request to the stand-in's control or log endpoint.
absl::StatusOr<std::string> Request(const std::string& url, const std::string* post_body) {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return absl::InternalError("curl_easy_init");
  std::string body;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  if (post_body != nullptr) {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, post_body->c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(post_body->size()));
  }
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(url, ": ", curl_easy_strerror(rc)));
  }
  long code = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
  if (code < 200 || code > 299) {
    return absl::InternalError(absl::StrCat(url, ": HTTP ", code, ": ", body));
  }
  return body;
}

std::string TempRoot() {
  const char* t = ::getenv("TEST_TMPDIR");
  return (t != nullptr && *t != '\0') ? t : "/tmp";
}

}  // namespace

absl::StatusOr<std::unique_ptr<InfluxStandin>> InfluxStandin::Start(
    const StandinOptions& options) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::unique_ptr<InfluxStandin> s(new InfluxStandin());
  std::string templ = TempRoot() + "/standin.XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) return absl::InternalError("mkdtemp");
  s->dir_ = templ;
  const std::string port_file = s->dir_ + "/port";
  const std::string log = s->dir_ + "/standin.log";
  std::vector<std::string> args = {"/usr/bin/python3", kScript,
                                   "--influxd", options.influxd_url,
                                   "--flavor", options.flavor,
                                   "--token", options.token,
                                   "--org", options.org,
                                   "--port-file", port_file};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    FILE* f = ::freopen(log.c_str(), "w", stderr);
    (void)f;
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  s->pid_ = pid;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      s->pid_ = -1;
      std::ifstream in(log);
      std::stringstream text;
      text << in.rdbuf();
      return absl::InternalError("the stand-in exited at start: " + text.str());
    }
    std::ifstream in(port_file);
    int port = 0;
    if (in >> port && port > 0) {
      s->port_ = port;
      // Serving once the log endpoint answers.
      if (Request(s->url() + "/_standin/log", nullptr).ok()) return s;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError("the stand-in did not start within 20 s");
}

InfluxStandin::~InfluxStandin() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string InfluxStandin::url() const { return absl::StrCat("http://127.0.0.1:", port_); }

absl::Status InfluxStandin::Control(const std::string& json) {
  return Request(url() + "/_standin/control", &json).status();
}

absl::StatusOr<std::vector<StandinWrite>> InfluxStandin::Writes() {
  absl::StatusOr<std::string> text = Request(url() + "/_standin/log", nullptr);
  if (!text.ok()) return text.status();
  std::vector<StandinWrite> out;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (f.size() != 4) return absl::InternalError(absl::StrCat("log line: ", line));
    StandinWrite w;
    if (!absl::SimpleAtod(f[0], &w.t) || !absl::SimpleAtoi(f[1], &w.status) ||
        !absl::SimpleAtoi(f[2], &w.lines)) {
      return absl::InternalError(absl::StrCat("log line: ", line));
    }
    w.path = std::string(f[3]);
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace ocs_influx::testing
