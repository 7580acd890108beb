#include "client/connection.h"

#include "absl/strings/str_cat.h"
#include "client/paths.h"
#include "common/files/files.h"
#include "common/grpc_channel/grpc_channel.h"

namespace ocs_influx::client {

void AddConnectionFlags(flags::FlagSet* flag_set, ConnectionOptions* options,
                        std::string timeout_help) {
  flag_set->AddString("target", &options->target,
                      "The publisher's gRPC address, host:port.");
  flag_set->AddString(
      "token-file", &options->token_file,
      "A file holding the bearer token the publisher was started with; sent "
      "as \"authorization: Bearer <token>\".");
  flag_set->AddBool("tls", &options->tls,
                    "Connect with TLS, verifying the server against --tls-ca "
                    "or else the system's roots.");
  flag_set->AddString("tls-ca", &options->tls_ca,
                      "A PEM file of the CA certificates to verify the server "
                      "with; implies --tls.");
  flag_set->AddDuration("timeout", &options->timeout, std::move(timeout_help));
}

absl::StatusOr<Connection> Connection::Open(const ConnectionOptions& options) {
  Connection connection;
  connection.timeout_ = options.timeout;
  if (!options.token_file.empty()) {
    absl::StatusOr<std::string> token =
        ReadTokenFile(ResolveUserPath(options.token_file));
    if (!token.ok()) return token.status();
    connection.authorization_ = absl::StrCat("Bearer ", *token);
  }
  ChannelSecurity security;
  security.tls = options.tls;
  if (!options.tls_ca.empty()) security.ca_file = ResolveUserPath(options.tls_ca);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateChannel(options.target, security);
  if (!channel.ok()) return channel.status();
  connection.channel_ = *std::move(channel);
  connection.stub_ = ocs::influx::v1::Publisher::NewStub(connection.channel_);
  return connection;
}

void Connection::PrepareCall(grpc::ClientContext* context) const {
  PrepareCall(context, timeout_);
}

void Connection::PrepareCall(grpc::ClientContext* context,
                             absl::Duration deadline_after) const {
  // Call credentials would be the idiomatic carrier, but gRPC refuses to
  // send them over a plaintext channel, and plaintext on 127.0.0.1 is the
  // publisher's default.
  if (!authorization_.empty()) {
    context->AddMetadata("authorization", authorization_);
  }
  if (deadline_after > absl::ZeroDuration()) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + deadline_after));
  }
}

}  // namespace ocs_influx::client
