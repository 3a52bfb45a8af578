#include <gtest/gtest.h>

#include <orders/notifier/handshake.hpp>

namespace orders::notifier {
namespace {

HandshakeRequest Valid() {
  return {"GET", "websocket", "keep-alive, Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", std::nullopt};
}

TEST(Handshake, AcceptKeyMatchesTheRfcExample) {
  EXPECT_EQ(AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, ValidRequestIsAccepted) {
  const auto check = CheckHandshake(Valid(), {});
  EXPECT_EQ(check.status, 101);
  EXPECT_EQ(check.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, BadRequestsAreRefusedWithTheRightStatus) {
  auto no_upgrade = Valid();
  no_upgrade.upgrade.reset();
  EXPECT_EQ(CheckHandshake(no_upgrade, {}).status, 426);
  auto old_version = Valid();
  old_version.version = "8";
  EXPECT_EQ(CheckHandshake(old_version, {}).status, 426);
  auto bad_key = Valid();
  bad_key.key = "short";
  EXPECT_EQ(CheckHandshake(bad_key, {}).status, 400);
  auto post = Valid();
  post.method = "POST";
  EXPECT_EQ(CheckHandshake(post, {}).status, 405);
}

TEST(Handshake, OriginMustBeAllowedWhenAnAllowListIsSet) {
  auto request = Valid();
  request.origin = "https://evil.example";
  EXPECT_EQ(CheckHandshake(request, {"http://127.0.0.1:8082"}).status, 403);
  request.origin = "http://127.0.0.1:8082";
  EXPECT_EQ(CheckHandshake(request, {"http://127.0.0.1:8082"}).status, 101);
  request.origin.reset();
  EXPECT_EQ(CheckHandshake(request, {"http://127.0.0.1:8082"}).status, 403);
  EXPECT_EQ(CheckHandshake(request, {}).status, 101);
}

}  // namespace
}  // namespace orders::notifier
