// Every service with auth on, as started in production: no token is a 401
// with the Bearer challenge, a bad one names invalid_token, an RS256 token
// signed by a key of the JWKS is accepted, and keys rotate without a restart
// (a rewritten JWKS_FILE, a JWKS_URL that goes down keeps the keys it had).
// A service refuses to start without a key source, or with auth off on a
// public address.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pqxx/pqxx>

#include <orders/platform/base64url.hpp>
#include <orders/platform/jwt.hpp>
#include <orders/platform/uuid.hpp>
#include <orders/testing/document_server.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/signing_keys.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>
#include <orders/testing/ws_client.hpp>

#include "hostile/raw_http.hpp"

namespace orders::testing {
namespace {

using namespace std::chrono_literals;

enum class Service { kCommand, kProjection, kNotifier };

std::string NameOf(Service service) {
  switch (service) {
    case Service::kCommand:
      return "Command";
    case Service::kProjection:
      return "Projection";
    case Service::kNotifier:
      return "Notifier";
  }
  return "";
}

const SigningKey& FirstKey() {
  static const SigningKey key = SigningKey::Rsa("first");
  return key;
}
const SigningKey& NextKey() {
  static const SigningKey key = SigningKey::Rsa("next");
  return key;
}
const SigningKey& EcKey() {
  static const SigningKey key = SigningKey::P256("ec-1");
  return key;
}

std::int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A compact JWS with any header, its signature HMAC-SHA256 under `key` (a forger's token: any alg, any kid).
std::string HmacSigned(const nlohmann::json& header, const nlohmann::json& claims, const std::string& key) {
  const std::string input = platform::Base64UrlEncode(header.dump()) + "." + platform::Base64UrlEncode(claims.dump());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), digest, &length);
  return input + "." + platform::Base64UrlEncode(std::string(reinterpret_cast<char*>(digest), length));
}

// `token` with one byte of its signature flipped (re-encoded, so the token stays canonical base64url and is refused
// for its signature, not its spelling).
std::string WithFlippedSignatureByte(const std::string& token) {
  const auto dot = token.rfind('.');
  auto signature = platform::Base64UrlDecode(std::string_view(token).substr(dot + 1));
  EXPECT_TRUE(signature && !signature->empty());
  if (!signature || signature->empty()) return token;
  (*signature)[signature->size() / 2] ^= 0x01;
  return token.substr(0, dot + 1) + platform::Base64UrlEncode(*signature);
}

class IdentityTest : public ::testing::TestWithParam<Service> {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    if (GetParam() == Service::kProjection) ORDERS_REQUIRE_POSTGRES();
    schema_ = UniqueName("identity");
    for (char& c : schema_) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) c = '_';
    }
    topic_ = UniqueName("identity");
    ASSERT_EQ(CreateTopic(topic_, 1), "");
    jwks_file_ = (std::filesystem::temp_directory_path() / (UniqueName("jwks") + ".json")).string();
  }

  void TearDown() override {
    service_.reset();
    std::filesystem::remove(jwks_file_);
    if (GetParam() != Service::kProjection) return;
    try {
      pqxx::connection connection(DatabaseUrl());
      pqxx::work tx(connection);
      tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema_) + " CASCADE");
      tx.commit();
    } catch (const std::exception&) {
    }
  }

  std::string Binary() const {
    switch (GetParam()) {
      case Service::kCommand:
        return CommandServiceBinary();
      case Service::kProjection:
        return ProjectionServiceBinary();
      case Service::kNotifier:
        return NotifierBinary();
    }
    return {};
  }

  // Auth on with only the given key settings (no test secret added).
  std::map<std::string, std::string> Environment(std::map<std::string, std::string> auth) const {
    auth.emplace("AUTH", "on");
    auth["KAFKA_BROKERS"] = KafkaBrokers();
    auth["DATABASE_URL"] = DatabaseUrl();
    auth["ORDERS_TOPIC"] = topic_;
    auth["READ_MODEL_SCHEMA"] = schema_;
    auth["CONSUMER_GROUP"] = UniqueName("identity");
    return auth;
  }

  void WriteJwks(const std::string& document) const {
    const std::string staged = jwks_file_ + ".new";
    std::ofstream(staged) << document;
    std::filesystem::rename(staged, jwks_file_);  // readers see the old file or the new one, never half
  }

  void Start(std::map<std::string, std::string> auth) {
    service_ = std::make_unique<ServiceProcess>(Binary(), Environment(std::move(auth)));
    ASSERT_TRUE(service_->Start()) << service_->LogText();
  }

  // The answer to a protected request carrying `headers`: a read of an order
  // that does not exist (404 when let in), or a WebSocket upgrade (101).
  HttpResponse Call(const std::map<std::string, std::string>& headers) const {
    if (GetParam() != Service::kNotifier) {
      return HttpRequest(service_->port(), "GET", "/orders/" + platform::NewUuid(), {}, headers);
    }
    auto upgrade = headers;
    upgrade.insert({{"Upgrade", "websocket"},
                    {"Connection", "Upgrade"},
                    {"Sec-WebSocket-Version", "13"},
                    {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}});
    return HttpRequest(service_->port(), "GET", "/ws", {}, upgrade, 3s);
  }
  int StatusWith(const std::string& token) const {
    if (GetParam() == Service::kNotifier) {
      WsClient client;
      return client.Connect(service_->port(), "/ws", {{"Authorization", BearerOf(token)}});
    }
    return Call({{"Authorization", BearerOf(token)}}).status;
  }
  // Whether a request was let in: an upgrade, or the order lookup answered
  // (404, or 503 while the service is still catching up).
  bool LetIn(int status) const {
    return GetParam() == Service::kNotifier ? status == 101 : status == 404 || status == 503;
  }
  bool Accepted(const SigningKey& key) const { return LetIn(StatusWith(key.Sign(ClaimsFor("ops", "staff")))); }

  std::string schema_;
  std::string topic_;
  std::string jwks_file_;
  std::unique_ptr<ServiceProcess> service_;
};

TEST_P(IdentityTest, ARequestWithoutAValidTokenIsRefusedWithABearerChallenge) {
  WriteJwks(JwksOf({&FirstKey()}));
  Start({{"JWKS_FILE", jwks_file_}});
  const auto missing = Call({});
  EXPECT_EQ(missing.status, 401) << missing.body;
  EXPECT_EQ(missing.Header("www-authenticate"), "Bearer");
  EXPECT_EQ(missing.Header("content-type"), "application/problem+json");
  const auto bad = Call({{"Authorization", BearerOf(FirstKey().Sign(ClaimsFor("ops", "staff", -5s)))}});
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.Header("www-authenticate"), R"(Bearer error="invalid_token")");
  // HS256 is not configured here: a token signed with the test secret is refused.
  EXPECT_EQ(StatusWith(TestToken("ops", "staff")), 401);
}

TEST_P(IdentityTest, AJwksSignedTokenIsAcceptedAndKeysRotateWhenTheFileIsRewritten) {
  WriteJwks(JwksOf({&FirstKey()}));
  Start({{"JWKS_FILE", jwks_file_}, {"JWKS_REFRESH_SECONDS", "1"}});
  EXPECT_TRUE(Accepted(FirstKey())) << service_->LogText();
  EXPECT_EQ(StatusWith(NextKey().Sign(ClaimsFor("ops", "staff"))), 401);

  WriteJwks(JwksOf({&NextKey()}));  // the identity provider rotates
  EXPECT_TRUE(Eventually([&] { return Accepted(NextKey()); }, 15s)) << service_->LogText();
  EXPECT_TRUE(Eventually([&] { return StatusWith(FirstKey().Sign(ClaimsFor("ops", "staff"))) == 401; }, 15s))
      << "a key removed from the JWKS stops working";
}

TEST_P(IdentityTest, KeysFromAJwksUrlStayInUseWhileTheUrlIsDown) {
  DocumentServer idp;
  idp.SetDocument(JwksOf({&FirstKey()}));
  ASSERT_TRUE(idp.Start());
  Start({{"JWKS_URL", idp.Url()}, {"JWKS_REFRESH_SECONDS", "1"}});
  EXPECT_TRUE(Accepted(FirstKey())) << service_->LogText();

  idp.Stop();
  EXPECT_TRUE(
      Eventually([&] { return service_->LogText().find("keeping the previous keys") != std::string::npos; }, 15s));
  EXPECT_TRUE(Accepted(FirstKey())) << "the keys read before the source went down";
  ASSERT_TRUE(service_->running());

  idp.SetDocument(JwksOf({&FirstKey(), &NextKey()}));
  ASSERT_TRUE(idp.Start());  // back, with a new key
  EXPECT_TRUE(Eventually([&] { return Accepted(NextKey()); }, 15s)) << service_->LogText();
}

TEST_P(IdentityTest, AServiceStartsWhileItsJwksUrlIsDownAndTakesTheKeysWhenItComesUp) {
  DocumentServer idp;
  idp.SetDocument(JwksOf({&FirstKey()}));
  ASSERT_TRUE(idp.Start());
  idp.Stop();  // its port now refuses connections
  Start({{"JWKS_URL", idp.Url()}, {"JWKS_REFRESH_SECONDS", "1"}});
  EXPECT_EQ(StatusWith(FirstKey().Sign(ClaimsFor("ops", "staff"))), 401);
  ASSERT_TRUE(idp.Start());
  EXPECT_TRUE(Eventually([&] { return Accepted(FirstKey()); }, 15s)) << service_->LogText();
}

TEST_P(IdentityTest, WithoutAKeySourceTheServiceRefusesToStart) {
  ServiceProcess service(Binary(), Environment({}));
  EXPECT_FALSE(service.Start(15s));
  EXPECT_NE(service.LogText().find("no token key is configured"), std::string::npos) << service.LogText();
}

TEST_P(IdentityTest, AuthOffOnAPublicAddressRefusesToStart) {
  ServiceProcess service(Binary(), Environment({{"AUTH", "off"}, {"BIND_ADDRESS", "0.0.0.0"}}));
  EXPECT_FALSE(service.Start(15s));
  EXPECT_NE(service.LogText().find("AUTH=off is only allowed when BIND_ADDRESS is loopback"), std::string::npos)
      << service.LogText();
}

TEST_P(IdentityTest, AuthOffOnLoopbackLetsEveryoneInAndSaysSoLoudly) {
  Start({{"AUTH", "off"}});
  EXPECT_TRUE(LetIn(StatusWith("not-even-a-token")));
  EXPECT_NE(service_->LogText().find("AUTH IS OFF"), std::string::npos);
}

// Every kind of hostile token against every service: each is a 401 with the invalid_token challenge and a
// problem+json body that tells nothing internal, and the service goes on serving. nbf and iat are allowed 30 s
// of clock skew: 60 s is outside it, and the same tokens 15 s ahead (inside it) are let in, so the 401s come
// from the rule and not from something else wrong with the token.
TEST_P(IdentityTest, EveryHostileTokenIsA401WithTheInvalidTokenChallengeAndTheServiceGoesOn) {
  WriteJwks(JwksOf({&FirstKey(), &EcKey()}));
  Start({{"JWT_SECRET", kTestJwtSecret}, {"JWKS_FILE", jwks_file_}});
  const std::int64_t now = NowSeconds();
  auto claims = [&](nlohmann::json extra = nlohmann::json::object()) {
    nlohmann::json all = ClaimsFor("ops", "staff");
    all.update(extra);
    return all;
  };
  const nlohmann::json hs256 = {{"alg", "HS256"}, {"typ", "JWT"}};

  EXPECT_TRUE(LetIn(StatusWith(platform::SignToken(claims({{"nbf", now + 15}}).dump(), kTestJwtSecret))))
      << "nbf 15 s ahead is inside the leeway";
  EXPECT_TRUE(LetIn(StatusWith(platform::SignToken(claims({{"iat", now + 15}}).dump(), kTestJwtSecret))))
      << "iat 15 s ahead is inside the leeway";

  const std::vector<std::pair<std::string, std::string>> hostile = {
      {"nbf 60 s ahead", platform::SignToken(claims({{"nbf", now + 60}}).dump(), kTestJwtSecret)},
      {"iat 60 s ahead", platform::SignToken(claims({{"iat", now + 60}}).dump(), kTestJwtSecret)},
      {"alg 123", HmacSigned({{"alg", 123}, {"typ", "JWT"}}, claims(), kTestJwtSecret)},
      {"alg none", platform::Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." +
                       platform::Base64UrlEncode(claims().dump()) + "."},
      {"an RSA key's kid with ES256", FirstKey().SignWithHeader({{"alg", "ES256"}, {"kid", "first"}}, claims())},
      {"an EC key's kid with RS256", EcKey().SignWithHeader({{"alg", "RS256"}, {"kid", "ec-1"}}, claims())},
      {"an RSA key's kid with HS256 keyed by its public key",
       HmacSigned({{"alg", "HS256"}, {"kid", "first"}}, claims(), FirstKey().PublicJwk().dump())},
      {"a flipped HS256 signature byte", WithFlippedSignatureByte(HmacSigned(hs256, claims(), kTestJwtSecret))},
      {"a flipped RS256 signature byte", WithFlippedSignatureByte(FirstKey().Sign(claims()))},
      {"not.a.token", "not.a.token"},
  };
  for (const auto& [what, token] : hostile) {
    const auto answer = Call({{"Authorization", BearerOf(token)}});
    EXPECT_EQ(answer.status, 401) << what << ": " << answer.body;
    EXPECT_EQ(answer.Header("www-authenticate"), R"(Bearer error="invalid_token")") << what;
    EXPECT_EQ(answer.Header("content-type"), "application/problem+json") << what;
    const auto body = nlohmann::json::parse(answer.body, nullptr, false);
    EXPECT_TRUE(body.is_object() && body.value("status", 0) == 401) << what << ": " << answer.body;
    EXPECT_EQ(hostile::InternalTextIn(answer.body), "") << what << ": " << answer.body;
    EXPECT_EQ(answer.body.find(token), std::string::npos) << what << ": the token is never echoed";
  }
  ASSERT_TRUE(service_->running()) << service_->LogText();
  EXPECT_EQ(HttpRequest(service_->port(), "GET", "/healthz").status, 200);
  EXPECT_TRUE(LetIn(StatusWith(TestToken("ops", "staff")))) << "a good token is still let in";
  EXPECT_TRUE(Accepted(FirstKey())) << "and so is a JWKS-signed one";
}

INSTANTIATE_TEST_SUITE_P(EveryService, IdentityTest,
                         ::testing::Values(Service::kCommand, Service::kProjection, Service::kNotifier),
                         [](const auto& param_info) { return NameOf(param_info.param); });

}  // namespace
}  // namespace orders::testing
