// `grpcurl -plaintext HOST:PORT grpc.health.v1.Health/Check` against the
// publisher binary, done the way grpcurl does it: nothing about the health
// service is compiled into this test. The service, its method and its
// messages are resolved through server reflection, the request is a dynamic
// message, and the call goes through a generic stub by method path.
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/descriptor_database.h"
#include "google/protobuf/dynamic_message.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "grpc_protocols/reflection.pb.h"
#include "tests/support/influxd.h"

extern char** environ;

namespace ocs_influx::testing {
namespace {

namespace rc = ocs_influx::test::reflection;
namespace pb = google::protobuf;

constexpr char kBinary[] = "service/publisher";
const absl::Duration kCallDeadline = absl::Seconds(10);

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

bool FromBuffer(const grpc::ByteBuffer& buffer, std::string* bytes) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  bytes->clear();
  for (const grpc::Slice& s : slices) {
    bytes->append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return true;
}

// Waits for `tag` on `cq`; false if the operation failed.
bool Await(grpc::CompletionQueue* cq, void* tag) {
  void* got = nullptr;
  bool ok = false;
  if (!cq->Next(&got, &ok)) return false;
  return got == tag && ok;
}

// Drains a completion queue that is done with, as gRPC requires.
class QueueCloser {
 public:
  explicit QueueCloser(grpc::CompletionQueue* cq) : cq_(cq) {}
  ~QueueCloser() {
    cq_->Shutdown();
    void* tag;
    bool ok;
    while (cq_->Next(&tag, &ok)) {
    }
  }

 private:
  grpc::CompletionQueue* cq_;
};

// One request and its answer on a ServerReflectionInfo stream.
absl::StatusOr<rc::ServerReflectionResponse> Reflect(
    const std::shared_ptr<grpc::Channel>& channel,
    const rc::ServerReflectionRequest& request) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  QueueCloser closer(&cq);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
  auto call = stub.PrepareCall(
      &context,
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  int tags[5];
  call->StartCall(&tags[0]);
  grpc::ByteBuffer reply;
  bool ok = Await(&cq, &tags[0]);
  if (ok) {
    call->Write(ToBuffer(request.SerializeAsString()), &tags[1]);
    ok = Await(&cq, &tags[1]);
  }
  if (ok) {
    call->WritesDone(&tags[2]);
    ok = Await(&cq, &tags[2]);
  }
  if (ok) {
    call->Read(&reply, &tags[3]);
    ok = Await(&cq, &tags[3]);
  }
  grpc::Status status;
  call->Finish(&status, &tags[4]);
  Await(&cq, &tags[4]);
  if (!ok) {
    return absl::UnavailableError(
        absl::StrCat("reflection: ", status.error_message()));
  }
  std::string bytes;
  rc::ServerReflectionResponse response;
  if (!FromBuffer(reply, &bytes) || !response.ParseFromString(bytes)) {
    return absl::InternalError("unparsable reflection reply");
  }
  return response;
}

// A descriptor database fed by the server's reflection service, as grpcurl
// builds its own.
class ReflectionDatabase : public pb::DescriptorDatabase {
 public:
  explicit ReflectionDatabase(std::shared_ptr<grpc::Channel> channel)
      : channel_(std::move(channel)) {}

  bool FindFileByName(const std::string& filename,
                      pb::FileDescriptorProto* output) override {
    if (cache_.FindFileByName(filename, output)) return true;
    rc::ServerReflectionRequest request;
    request.set_file_by_filename(filename);
    return Fetch(request) && cache_.FindFileByName(filename, output);
  }

  bool FindFileContainingSymbol(const std::string& symbol,
                                pb::FileDescriptorProto* output) override {
    if (cache_.FindFileContainingSymbol(symbol, output)) return true;
    rc::ServerReflectionRequest request;
    request.set_file_containing_symbol(symbol);
    return Fetch(request) && cache_.FindFileContainingSymbol(symbol, output);
  }

  bool FindFileContainingExtension(const std::string&, int,
                                   pb::FileDescriptorProto*) override {
    return false;
  }

  std::string last_error() const { return last_error_; }

 private:
  bool Fetch(const rc::ServerReflectionRequest& request) {
    absl::StatusOr<rc::ServerReflectionResponse> response =
        Reflect(channel_, request);
    if (!response.ok()) {
      last_error_ = response.status().ToString();
      return false;
    }
    if (response->has_error_response()) {
      last_error_ = absl::StrCat("reflection error ",
                                 response->error_response().error_code(), ": ",
                                 response->error_response().error_message());
      return false;
    }
    for (const std::string& bytes :
         response->file_descriptor_response().file_descriptor_proto()) {
      pb::FileDescriptorProto file;
      if (!file.ParseFromString(bytes)) {
        last_error_ = "unparsable FileDescriptorProto";
        return false;
      }
      pb::FileDescriptorProto known;
      if (!cache_.FindFileByName(file.name(), &known)) cache_.Add(file);
    }
    return true;
  }

  std::shared_ptr<grpc::Channel> channel_;
  pb::SimpleDescriptorDatabase cache_;
  std::string last_error_;
};

// The publisher binary, stopped (SIGTERM, then waited for) when done with.
class PublisherProcess {
 public:
  ~PublisherProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }

  bool Start(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kBinary));
    for (const std::string& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    return posix_spawn(&pid_, kBinary, nullptr, nullptr, argv.data(),
                       environ) == 0;
  }

 private:
  pid_t pid_ = -1;
};

std::string TempDir(const std::string& prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string pattern =
      absl::StrCat(base != nullptr ? base : "/tmp", "/", prefix, ".XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  return mkdtemp(buffer.data()) != nullptr ? std::string(buffer.data()) : "";
}

TEST(HealthByReflectionTest, GrpcurlStyleHealthCheckOfThePublisherBinary) {
  auto influxd = Influxd::Start();
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  absl::StatusOr<int> port = PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok()) << port.status();
  const std::string spool = TempDir("spool");
  ASSERT_FALSE(spool.empty());
  PublisherProcess publisher;
  ASSERT_TRUE(publisher.Start(
      {"--host", "127.0.0.1", "--port", std::to_string((*influxd)->port()),
       "--listen", absl::StrCat("127.0.0.1:", *port), "--spool-dir", spool}));
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port),
                                     grpc::InsecureChannelCredentials());
  ASSERT_TRUE(channel->WaitForConnected(
      absl::ToChronoTime(absl::Now() + absl::Seconds(20))));

  // What grpcurl does with "grpc.health.v1.Health/Check".
  ReflectionDatabase database(channel);
  pb::DescriptorPool pool(&database);
  const pb::ServiceDescriptor* service =
      pool.FindServiceByName("grpc.health.v1.Health");
  ASSERT_NE(service, nullptr)
      << "reflection serves no descriptor for grpc.health.v1.Health: "
      << database.last_error();
  const pb::MethodDescriptor* check = service->FindMethodByName("Check");
  ASSERT_NE(check, nullptr);

  pb::DynamicMessageFactory factory(&pool);
  std::unique_ptr<pb::Message> request(
      factory.GetPrototype(check->input_type())->New());
  const pb::FieldDescriptor* service_field =
      check->input_type()->FindFieldByName("service");
  ASSERT_NE(service_field, nullptr);
  request->GetReflection()->SetString(request.get(), service_field, "");

  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  QueueCloser closer(&cq);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
  const std::string path =
      absl::StrCat("/", service->full_name(), "/", check->name());
  auto call = stub.PrepareUnaryCall(
      &context, path, ToBuffer(request->SerializeAsString()), &cq);
  call->StartCall();
  grpc::ByteBuffer reply;
  grpc::Status status;
  int tag = 0;
  call->Finish(&reply, &status, &tag);
  ASSERT_TRUE(Await(&cq, &tag));
  ASSERT_TRUE(status.ok()) << status.error_message();

  std::unique_ptr<pb::Message> response(
      factory.GetPrototype(check->output_type())->New());
  std::string bytes;
  ASSERT_TRUE(FromBuffer(reply, &bytes));
  ASSERT_TRUE(response->ParseFromString(bytes));
  const pb::FieldDescriptor* status_field =
      check->output_type()->FindFieldByName("status");
  ASSERT_NE(status_field, nullptr);
  EXPECT_EQ(response->GetReflection()->GetEnum(*response, status_field)->name(),
            "SERVING");

  // grpcurl's "describe" of the service shows both methods.
  EXPECT_NE(service->FindMethodByName("Watch"), nullptr);
}

}  // namespace
}  // namespace ocs_influx::testing
