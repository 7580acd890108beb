#include "service/grpc/server.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/files/files.h"
#include "common/log/log.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "proto/grpc/health/v1/health.pb.h"

namespace ocs_influx::server {

PublisherServer::PublisherServer(Token, std::unique_ptr<Publisher> publisher,
                                 std::string auth_token)
    : publisher_(std::move(publisher)),
      service_(publisher_.get(), std::move(auth_token)) {}

absl::StatusOr<std::unique_ptr<PublisherServer>> PublisherServer::Start(
    const ServerOptions& options, std::unique_ptr<Publisher> publisher) {
  auto server = std::make_unique<PublisherServer>(Token(), std::move(publisher),
                                                  options.auth_token);
  grpc::EnableDefaultHealthCheckService(true);
  // Reflection serves what the generated descriptor pool holds, and gRPC's
  // health service brings no descriptor of its own: naming health.proto's
  // here links it in, so that grpcurl can call grpc.health.v1.Health/Check
  // through reflection alone.
  grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.RegisterService(&server->service_);
  if (!options.listen.empty()) {
    std::shared_ptr<grpc::ServerCredentials> credentials =
        grpc::InsecureServerCredentials();
    if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
      auto cert = files::ReadWholeFile(options.tls_cert_file, "--tls-cert file");
      if (!cert.ok()) return cert.status();
      auto key = files::ReadWholeFile(options.tls_key_file, "--tls-key file");
      if (!key.ok()) return key.status();
      grpc::SslServerCredentialsOptions ssl;
      ssl.pem_key_cert_pairs.push_back({*key, *cert});
      credentials = grpc::SslServerCredentials(ssl);
    }
    builder.AddListeningPort(options.listen, credentials, &server->port_);
  }
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr ||
      (!options.listen.empty() && server->port_ == 0)) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.listen,
        " (address in use, or not an address of this machine?)"));
  }
  if (auto* health = server->server_->GetHealthCheckService()) {
    health->SetServingStatus(true);
  }
  if (!options.listen.empty()) {
    LOG_INFO("server: gRPC on %s (port %d)%s%s", options.listen, server->port_,
             options.tls_cert_file.empty() ? "" : ", TLS",
             options.auth_token.empty() ? "" : ", bearer token required");
  }
  return server;
}

PublisherServer::~PublisherServer() { Shutdown(absl::ZeroDuration()); }

void PublisherServer::Shutdown(absl::Duration drain) {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ != nullptr) {
    if (auto* health = server_->GetHealthCheckService()) {
      health->SetServingStatus(false);
    }
  }
  // Status and Flush keep answering while the writer drains.
  publisher_->Shutdown(drain);
  if (server_ != nullptr) {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    server_->Wait();
  }
}

}  // namespace ocs_influx::server
