#include "tests/service/grpc_probe.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc_protocols/health.pb.h"
#include "grpc_protocols/reflection.pb.h"
#include "grpcpp/generic/generic_stub.h"

namespace ocs_influx::testing {
namespace {

grpc::ByteBuffer ToBuffer(const google::protobuf::Message& message) {
  std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

bool FromBuffer(const grpc::ByteBuffer& buffer, google::protobuf::Message* message) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return message->ParseFromString(bytes);
}

// Waits for `tag` on `cq`; false if the operation failed.
bool Await(grpc::CompletionQueue* cq, void* tag) {
  void* got = nullptr;
  bool ok = false;
  if (!cq->Next(&got, &ok)) return false;
  return got == tag && ok;
}

}  // namespace

absl::StatusOr<int> HealthCheck(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  ocs_influx::test::health::HealthCheckRequest request;
  auto call = stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check",
                                    ToBuffer(request), &cq);
  call->StartCall();
  grpc::ByteBuffer reply;
  grpc::Status status;
  int tag = 1;
  call->Finish(&reply, &status, &tag);
  bool done = Await(&cq, &tag);
  cq.Shutdown();
  if (!done || !status.ok()) {
    return absl::UnavailableError(absl::StrCat("health check: ", status.error_message()));
  }
  ocs_influx::test::health::HealthCheckResponse response;
  if (!FromBuffer(reply, &response)) return absl::InternalError("bad health reply");
  return static_cast<int>(response.status());
}

absl::StatusOr<std::vector<std::string>> ListServices(
    const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  auto call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      &cq);
  int tags[5];
  call->StartCall(&tags[0]);
  ocs_influx::test::reflection::ServerReflectionRequest request;
  request.set_list_services("");
  grpc::ByteBuffer reply;
  bool ok = Await(&cq, &tags[0]);
  if (ok) {
    call->Write(ToBuffer(request), &tags[1]);
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
  cq.Shutdown();
  void* ignored_tag;
  bool ignored_ok;
  while (cq.Next(&ignored_tag, &ignored_ok)) {
  }
  if (!ok) {
    return absl::UnavailableError(absl::StrCat("reflection: ", status.error_message()));
  }
  ocs_influx::test::reflection::ServerReflectionResponse response;
  if (!FromBuffer(reply, &response)) return absl::InternalError("bad reflection reply");
  std::vector<std::string> names;
  for (const auto& s : response.list_services_response().service()) {
    names.push_back(s.name());
  }
  return names;
}

}  // namespace ocs_influx::testing
