#include "common/grpc_channel/grpc_channel.h"

#include "common/files/files.h"
#include "grpcpp/create_channel.h"

namespace ocs_influx {

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const ChannelSecurity& security) {
  if (!security.tls && security.ca_file.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  if (!security.ca_file.empty()) {
    absl::StatusOr<std::string> pem =
        files::ReadWholeFile(security.ca_file, "CA file");
    if (!pem.ok()) return pem.status();
    ssl.pem_root_certs = *std::move(pem);
  }
  return grpc::SslCredentials(ssl);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> CreateChannel(
    const std::string& target, const ChannelSecurity& security) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ChannelCredentials(security);
  if (!credentials.ok()) return credentials.status();
  return grpc::CreateChannel(target, *credentials);
}

}  // namespace ocs_influx
