#include <gtest/gtest.h>

#include <set>
#include <string>

#include <orders/notifier/webhooks/webhook_signer.hpp>

namespace orders::notifier::webhooks {
namespace {

// The example of the Standard Webhooks specification and of its reference libraries' tests.
constexpr std::string_view kSpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kSpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t kSpecTimestamp = 1614265330;
constexpr std::string_view kSpecBody = R"({"test": 2432232314})";

TEST(WebhookSigner, MatchesTheStandardWebhooksExampleSignature) {
  const auto signature = SignWebhook(kSpecSecret, kSpecId, kSpecTimestamp, kSpecBody);
  ASSERT_TRUE(signature) << signature.error().message;
  EXPECT_EQ(*signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSigner, EveryPartOfTheSignedContentChangesTheSignature) {
  const std::string reference = *SignWebhook(kSpecSecret, kSpecId, kSpecTimestamp, kSpecBody);
  EXPECT_NE(*SignWebhook(kSpecSecret, "msg_other", kSpecTimestamp, kSpecBody), reference);
  EXPECT_NE(*SignWebhook(kSpecSecret, kSpecId, kSpecTimestamp + 1, kSpecBody), reference);
  EXPECT_NE(*SignWebhook(kSpecSecret, kSpecId, kSpecTimestamp, R"({"test": 2432232315})"), reference);
  EXPECT_NE(*SignWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx", kSpecId, kSpecTimestamp, kSpecBody), reference);
  // The separators are part of it: moving a character across a '.' is a different message.
  EXPECT_NE(*SignWebhook(kSpecSecret, "a.1", 2, "b"), *SignWebhook(kSpecSecret, "a", 12, "b"));
}

TEST(WebhookSigner, RefusesMalformedSecretsWithoutRepeatingThem) {
  for (std::string_view secret : {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_not base64!", "whsec_abc",
                                  "whsec_ab==c===", "whsec_YWJj\n", "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                  "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS_"}) {
    const auto signature = SignWebhook(secret, kSpecId, kSpecTimestamp, kSpecBody);
    ASSERT_FALSE(signature) << secret;
    // Fixed sentences: nothing of the secret can be in them.
    EXPECT_TRUE(signature.error().message == "the signing secret does not start with whsec_" ||
                signature.error().message == "the signing secret is not valid base64")
        << signature.error().message;
  }
}

TEST(WebhookSigner, PaddedSecretsDecodeToTheirExactBytes) {
  // "whsec_YQ==" is the one-byte key "a": the padding is not part of the key.
  const auto padded = SignWebhook("whsec_YQ==", "id", 1, "body");
  ASSERT_TRUE(padded);
  // HMAC-SHA256(key "a", "id.1.body"), computed independently with Python's hmac module.
  EXPECT_EQ(*padded, "v1,g4t27hNVDebebKMLRCZHtjMzByZ/GCVkViWnikz44WE=");
}

TEST(WebhookSigner, NewSecretsAreWhsecWith32RandomBytesAndNeverRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string secret = NewWebhookSecret();
    ASSERT_EQ(secret.rfind("whsec_", 0), 0u) << secret;
    // 32 bytes are 44 base64 characters with one '=' of padding.
    EXPECT_EQ(secret.size(), 6u + 44u) << secret;
    EXPECT_EQ(secret.back(), '=');
    EXPECT_TRUE(SignWebhook(secret, "id", 1, "body")) << "a new secret must be usable for signing";
    seen.insert(secret);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace orders::notifier::webhooks
