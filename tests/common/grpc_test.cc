#include <string>

#include "common/grpc_channel/grpc_channel.h"
#include "common/grpc_status/grpc_status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ocs_influx {
namespace {

using ::testing::HasSubstr;

TEST(GrpcStatusTest, EveryCodeRoundTrips) {
  for (int code = 1; code <= 16; ++code) {
    const absl::Status a(static_cast<absl::StatusCode>(code), "what went wrong");
    const grpc::Status g = ToGrpcStatus(a);
    EXPECT_EQ(static_cast<int>(g.error_code()), code);
    EXPECT_EQ(g.error_message(), "what went wrong");
    EXPECT_EQ(FromGrpcStatus(g), a);
  }
  // The names agree, not only the numbers.
  EXPECT_EQ(ToGrpcStatus(absl::UnauthenticatedError("x")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(FromGrpcStatus(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "x")).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(GrpcStatusTest, OkIsOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(GrpcStatusTest, CodesOutsideTheTableAreUnknown) {
  const grpc::Status from_peer(static_cast<grpc::StatusCode>(99), "odd");
  EXPECT_EQ(FromGrpcStatus(from_peer), absl::UnknownError("odd"));
  const absl::Status odd(static_cast<absl::StatusCode>(42), "odd");
  EXPECT_EQ(ToGrpcStatus(odd).error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(ToGrpcStatus(odd).error_message(), "odd");
}

TEST(GrpcChannelTest, PlaintextUnlessAsked) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> c =
      ChannelCredentials(ChannelSecurity());
  ASSERT_TRUE(c.ok());
  ASSERT_NE(*c, nullptr);
  ChannelSecurity tls;
  tls.tls = true;
  c = ChannelCredentials(tls);
  ASSERT_TRUE(c.ok());
  ASSERT_NE(*c, nullptr);
}

TEST(GrpcChannelTest, MissingCaFileIsNamed) {
  ChannelSecurity security;
  security.ca_file = "/nonexistent/ca.pem";  // implies TLS
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateChannel("127.0.0.1:1", security);
  ASSERT_FALSE(channel.ok());
  EXPECT_TRUE(absl::IsNotFound(channel.status()));
  EXPECT_THAT(std::string(channel.status().message()),
              HasSubstr("CA file /nonexistent/ca.pem"));
}

TEST(GrpcChannelTest, ChannelIsMadeWithoutConnecting) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateChannel("127.0.0.1:1", ChannelSecurity());
  ASSERT_TRUE(channel.ok());
  EXPECT_NE(*channel, nullptr);
}

}  // namespace
}  // namespace ocs_influx
