#include <gtest/gtest.h>

#include <atomic>

#include <orders/platform/jwks.hpp>
#include <orders/platform/jwks_refresher.hpp>
#include <orders/testing/document_server.hpp>
#include <orders/testing/signing_keys.hpp>

namespace orders::platform {
namespace {

using testing::SigningKey;
using namespace std::chrono_literals;

// An in-memory JWKS source: what Fetch answers next, and how often it was asked.
struct FakeSource final : JwksSource {
  struct State {
    std::optional<std::string> document;  // nullopt: the source is down
    int fetches = 0;
  };
  explicit FakeSource(std::shared_ptr<State> shared) : state(std::move(shared)) {}
  Result<std::string> Fetch() override {
    ++state->fetches;
    if (!state->document) return Error{"connection refused"};
    return *state->document;
  }
  std::string Describe() const override { return "fake"; }
  std::shared_ptr<State> state;
};

const SigningKey& KeyA() {
  static const SigningKey key = SigningKey::P256("a");
  return key;
}
const SigningKey& KeyB() {
  static const SigningKey key = SigningKey::P256("b");
  return key;
}

struct Fixture {
  std::shared_ptr<FakeSource::State> source = std::make_shared<FakeSource::State>();
  std::shared_ptr<KeyStore> keys = std::make_shared<KeyStore>();
  std::atomic<std::chrono::steady_clock::time_point> now{};
  JwksRefresher refresher{std::make_unique<FakeSource>(source), keys, {1h, 10s, 10s}, [this] { return now.load(); }};
};

TEST(JwksRefresher, ARefreshReplacesTheKeys) {
  Fixture f;
  f.source->document = testing::JwksOf({&KeyA()});
  ASSERT_TRUE(f.refresher.Refresh().ok());
  EXPECT_TRUE(f.keys->Find("a"));
  f.source->document = testing::JwksOf({&KeyB()});
  ASSERT_TRUE(f.refresher.Refresh().ok());
  EXPECT_FALSE(f.keys->Find("a"));
  EXPECT_TRUE(f.keys->Find("b"));
}

TEST(JwksRefresher, ASourceThatIsDownOrServesGarbageKeepsThePreviousKeys) {
  Fixture f;
  f.source->document = testing::JwksOf({&KeyA()});
  ASSERT_TRUE(f.refresher.Refresh().ok());
  f.source->document.reset();
  EXPECT_FALSE(f.refresher.Refresh().ok());
  EXPECT_TRUE(f.keys->Find("a"));
  for (const char* garbage : {"<html>oops</html>", "{}", R"({"keys": 5})", "[]", ""}) {
    f.source->document = garbage;
    EXPECT_FALSE(f.refresher.Refresh().ok()) << garbage;
    EXPECT_TRUE(f.keys->Find("a")) << garbage;
  }
}

TEST(JwksRefresher, UnknownKidRefreshesAreRateLimited) {
  Fixture f;
  f.source->document = testing::JwksOf({&KeyA()});
  ASSERT_TRUE(f.refresher.Refresh().ok());
  f.refresher.Start();
  f.source->document = testing::JwksOf({&KeyA(), &KeyB()});
  EXPECT_FALSE(f.refresher.RefreshForUnknownKid());  // right after a refresh
  EXPECT_EQ(f.source->fetches, 1);
  f.now = f.now.load() + 11s;
  EXPECT_TRUE(f.refresher.RefreshForUnknownKid());
  EXPECT_TRUE(f.keys->Find("b"));
  EXPECT_FALSE(f.refresher.RefreshForUnknownKid());
  EXPECT_EQ(f.source->fetches, 2);
}

TEST(JwksRefresher, AnUnknownKidNeverFetchesOnTheCallersThread) {
  Fixture f;  // no background thread: nobody to fetch
  f.source->document = testing::JwksOf({&KeyA()});
  EXPECT_FALSE(f.refresher.RefreshForUnknownKid());
  EXPECT_EQ(f.source->fetches, 0);
}

TEST(JwksRefresher, ThePeriodicThreadPicksUpARotation) {
  auto source = std::make_shared<FakeSource::State>();
  source->document = testing::JwksOf({&KeyA()});
  auto keys = std::make_shared<KeyStore>();
  JwksRefresher refresher(std::make_unique<FakeSource>(source), keys, {20ms, 10s});
  refresher.Start();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!keys->Find("a") && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  refresher.Stop();
  EXPECT_TRUE(keys->Find("a"));
}

TEST(JwksParse, UnusableKeysAreSkipped) {
  auto mislabelled = KeyA().PublicJwk();
  mislabelled["kty"] = "RSA";
  auto wrong_curve = KeyA().PublicJwk();
  wrong_curve["crv"] = "P-384";
  auto off_curve = KeyA().PublicJwk();
  off_curve["x"] = KeyB().PublicJwk()["x"];
  auto encryption = KeyA().PublicJwk();
  encryption["use"] = "enc";
  const nlohmann::json document = {
      {"keys", {mislabelled, wrong_curve, off_curve, encryption, KeyB().PublicJwk(), 42, {{"kty", "oct"}}}}};
  const auto parsed = ParseJwks(document.dump());
  ASSERT_TRUE(parsed.keys);
  ASSERT_EQ(parsed.keys->size(), 1u);
  EXPECT_EQ(parsed.keys->front().kid, "b");
}

TEST(HttpJwksSource, FetchesFromALoopbackServerAndReportsItDown) {
  testing::DocumentServer server;
  server.SetDocument(testing::JwksOf({&KeyA()}));
  ASSERT_TRUE(server.Start());
  auto source = HttpJwksSource(server.Url(), 2s);
  auto fetched = source->Fetch();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(*fetched, testing::JwksOf({&KeyA()}));
  server.Stop();
  EXPECT_FALSE(source->Fetch().ok());
}

}  // namespace
}  // namespace orders::platform
