#include <orders/platform/authenticator.hpp>

#include <orders/platform/log.hpp>

namespace orders::platform {
namespace {

constexpr std::chrono::seconds kFetchTimeout{3};
constexpr std::chrono::seconds kLongestUnknownKidGap{10};

TokenRules RulesOf(const AuthConfig& config) {
  auto rules = TokenRules::Hs256(config.jwt_secret);
  rules.issuer = config.issuer;
  rules.audience = config.audience;
  return rules;
}

}  // namespace

Authenticator::Authenticator(std::unique_ptr<JwksRefresher> refresher, std::unique_ptr<TokenVerifier> verifier)
    : refresher_(std::move(refresher)), verifier_(std::move(verifier)) {}

Authenticator::~Authenticator() {
  if (refresher_) refresher_->Stop();
}

std::shared_ptr<const Authenticator> Authenticator::Off() { return std::make_shared<Authenticator>(nullptr, nullptr); }

std::shared_ptr<const Authenticator> Authenticator::With(TokenRules rules, std::shared_ptr<const KeyStore> keys) {
  return std::make_shared<Authenticator>(nullptr, std::make_unique<TokenVerifier>(std::move(rules), std::move(keys)));
}

Result<std::shared_ptr<const Authenticator>> Authenticator::Start(const AuthConfig& config) {
  if (!config.enabled) return Off();
  if (config.jwks_file.empty() && config.jwks_url.empty()) return With(RulesOf(config));
  auto keys = std::make_shared<KeyStore>();
  auto source =
      config.jwks_file.empty() ? HttpJwksSource(config.jwks_url, kFetchTimeout) : FileJwksSource(config.jwks_file);
  const JwksRefreshOptions options{config.jwks_refresh,
                                   std::min<std::chrono::milliseconds>(config.jwks_refresh, kLongestUnknownKidGap)};
  auto refresher = std::make_unique<JwksRefresher>(std::move(source), keys, options);
  auto first = refresher->Refresh();
  if (!first && !config.jwks_file.empty()) return Error{"JWKS_FILE: " + first.error().message};
  // A key server that is down at start is retried (the refresher logged why): the service starts and
  // refuses RS256/ES256 tokens until the keys arrive, rather than crash-looping.
  if (first) {
    LogInfo("token keys loaded",
            {{"keys", keys->size()}, {"source", config.jwks_file.empty() ? "JWKS_URL" : "JWKS_FILE"}});
  }
  JwksRefresher* refresh = refresher.get();
  auto verifier =
      std::make_unique<TokenVerifier>(RulesOf(config), keys, [refresh] { return refresh->RefreshForUnknownKid(); });
  refresher->Start();
  return std::shared_ptr<const Authenticator>(
      std::make_shared<Authenticator>(std::move(refresher), std::move(verifier)));
}

TokenCheck Authenticator::Verify(std::string_view token, std::chrono::system_clock::time_point now) const {
  if (!verifier_) return {std::nullopt, "auth is off"};
  return verifier_->Verify(token, now);
}

}  // namespace orders::platform
