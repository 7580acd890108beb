#include "client/connection.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ocs_influx::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string WriteTempFile(const std::string& name, const std::string& content) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  return path;
}

TEST(ReadTokenFileTest, StripsTrailingNewline) {
  absl::StatusOr<std::string> token =
      ReadTokenFile(WriteTempFile("token_lf", "s3cret-token\n"));
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, "s3cret-token");
}

TEST(ReadTokenFileTest, StripsTrailingCrlf) {
  absl::StatusOr<std::string> token =
      ReadTokenFile(WriteTempFile("token_crlf", "s3cret-token\r\n"));
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, "s3cret-token");
}

TEST(ReadTokenFileTest, TokenWithoutNewlineIsKept) {
  absl::StatusOr<std::string> token =
      ReadTokenFile(WriteTempFile("token_bare", "abc"));
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, "abc");
}

TEST(ReadTokenFileTest, MissingFileIsNotFoundNamingTheFile) {
  absl::StatusOr<std::string> token = ReadTokenFile("/nonexistent/dir/token");
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(token.status().message(), HasSubstr("/nonexistent/dir/token"));
  EXPECT_THAT(token.status().message(), HasSubstr("token file"));
}

TEST(ReadTokenFileTest, EmptyFileIsAnError) {
  std::string path = WriteTempFile("token_empty", "\n");
  absl::StatusOr<std::string> token = ReadTokenFile(path);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(token.status().message(), HasSubstr(path));
}

TEST(ReadTokenFileTest, TwoLinesAreRefusedWithoutQuotingTheToken) {
  absl::StatusOr<std::string> token =
      ReadTokenFile(WriteTempFile("token_two_lines", "first-half\nsecond\n"));
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(token.status().message(), Not(HasSubstr("first-half")));
}

TEST(ConnectionTest, OpenFailsOnAMissingTokenFile) {
  ConnectionOptions options;
  options.token_file = "/nonexistent/token";
  absl::StatusOr<Connection> connection = Connection::Open(options);
  ASSERT_FALSE(connection.ok());
  EXPECT_THAT(connection.status().message(), HasSubstr("/nonexistent/token"));
}

TEST(ConnectionTest, OpenFailsOnAMissingCaFile) {
  ConnectionOptions options;
  options.tls_ca = "/nonexistent/ca.pem";
  absl::StatusOr<Connection> connection = Connection::Open(options);
  ASSERT_FALSE(connection.ok());
  EXPECT_THAT(connection.status().message(), HasSubstr("/nonexistent/ca.pem"));
}

}  // namespace
}  // namespace ocs_influx::client
