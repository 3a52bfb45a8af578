// WebSocket commands in the hub: checked, forwarded with the session's token
// through the CommandRunner port, answered with a `result`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <orders/notifier/hub.hpp>
#include <orders/testing/builders.hpp>

#include "recording_sink.hpp"

namespace orders::notifier {
namespace {

using nlohmann::json;
using testing::kOrderId;

class FakeCommandRunner : public CommandRunner {
 public:
  struct Sent {
    HttpCall call;
    std::string token;
    std::function<void(CommandAnswer)> done;
  };
  void Run(const HttpCall& call, const std::string& token, std::function<void(CommandAnswer)> done) override {
    sent.push_back({call, token, std::move(done)});
  }
  void Answer(std::size_t index, int status, json body) { sent.at(index).done(CommandAnswer{status, std::move(body)}); }
  std::vector<Sent> sent;
};

std::string Command(const std::string& request_id, const std::string& name, const json& args) {
  return json{{"type", "command"}, {"requestId", request_id}, {"name", name}, {"args", args}}.dump();
}

class HubCommandTest : public ::testing::Test {
 protected:
  HubCommandTest() : hub_(cache_, Limits(), &runner_) {
    hub_.Attach(1, sink_, platform::Principal{"rider-1", platform::Role::kCourier, expires_}, "token-of-rider-1");
  }
  static HubLimits Limits() {
    HubLimits limits;
    limits.message_burst = 1000;
    return limits;
  }
  void Say(const std::string& text) { hub_.OnClientText(1, text, now_, wall_now_); }
  std::string Accept(const std::string& request_id) {
    return Command(request_id, "acceptDelivery", {{"orderId", kOrderId}});
  }

  std::chrono::system_clock::time_point wall_now_ = std::chrono::system_clock::now();
  std::chrono::system_clock::time_point expires_ = wall_now_ + std::chrono::minutes(5);
  Clock::time_point now_ = Clock::now();
  OrderCache cache_;
  FakeCommandRunner runner_;
  Hub hub_;
  RecordingSink sink_;
};

TEST_F(HubCommandTest, ACommandGoesToTheCommandApiWithTheSessionsTokenAndItsAnswerComesBackAsAResult) {
  Say(Accept("req-1"));
  ASSERT_EQ(runner_.sent.size(), 1u);
  EXPECT_EQ(runner_.sent[0].token, "token-of-rider-1");
  EXPECT_EQ(runner_.sent[0].call.method, "PUT");
  EXPECT_EQ(runner_.sent[0].call.target, std::string("/orders/") + kOrderId + "/courier");
  EXPECT_EQ(json::parse(*runner_.sent[0].call.body), (json{{"courierId", "rider-1"}}));
  EXPECT_TRUE(sink_.messages.empty()) << "answered only when the command API answers";
  const json problem{{"type", "about:blank"}, {"title", "Conflict"}, {"status", 409}, {"detail", "taken"}};
  runner_.Answer(0, 409, problem);
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0], (json{{"type", "result"}, {"requestId", "req-1"}, {"status", 409}, {"body", problem}}));
}

TEST_F(HubCommandTest, BadCommandsAreAnsweredWithErrorsAndNothingIsSent) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {Command("r1", "launchRocket", json::object()), "bad_request"},
      {R"({"type":"command","name":"placeOrder","args":{}})", "bad_request"},
      {Command(std::string(200, 'r'), "placeOrder", json::object()), "bad_request"},
      {R"({"type":"command","requestId":"r2","name":"placeOrder","args":[1]})", "bad_request"},
      {Command("r3", "placeOrder", {{"pad", std::string(kMaxCommandArgsBytes, 'x')}}), "too_large"},
      {Command("r4", "placeOrder", {{"pad", std::string(kMaxCommandMessageBytes, 'x')}}), "too_large"},
      {Command("r5", "declineDelivery", {{"orderId", "not-a-uuid"}}), "bad_request"},
      {Command("r6", "releaseDelivery", json::object()), "bad_request"},
  };
  for (const auto& [text, code] : cases) {
    sink_.messages.clear();
    Say(text);
    ASSERT_EQ(sink_.messages.size(), 1u) << text.substr(0, 120);
    EXPECT_EQ(sink_.messages[0]["type"], "error") << text.substr(0, 120);
    EXPECT_EQ(sink_.messages[0]["code"], code) << text.substr(0, 120);
  }
  EXPECT_TRUE(runner_.sent.empty()) << "nothing reached the command API";
  EXPECT_EQ(sink_.closes, 0) << "the connection stays";
}

TEST_F(HubCommandTest, AnErrorAboutACommandNamesItsRequestIdWhenThatWasValid) {
  Say(Command("r-9", "launchRocket", json::object()));
  EXPECT_EQ(sink_.messages.at(0)["requestId"], "r-9");
}

TEST_F(HubCommandTest, ACommandRacingTheTokensExpiryIsRefused) {
  wall_now_ = expires_;  // Tick has not closed the session yet
  Say(Accept("late"));
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["code"], "forbidden");
  EXPECT_EQ(sink_.messages[0]["requestId"], "late");
  EXPECT_TRUE(runner_.sent.empty());
}

TEST_F(HubCommandTest, CommandsWaitingForTheirAnswerAreBoundedPerSession) {
  for (int i = 0; i < 4; ++i) Say(Accept("r" + std::to_string(i)));
  Say(Accept("r4"));
  EXPECT_EQ(runner_.sent.size(), 4u);
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["code"], "rate_limited");
  runner_.Answer(0, 200, json::object());
  Say(Accept("r5"));
  EXPECT_EQ(runner_.sent.size(), 5u) << "an answer frees a place";
}

TEST_F(HubCommandTest, CommandsCountAgainstTheMessageRate) {
  OrderCache cache;
  FakeCommandRunner runner;
  HubLimits limits;
  limits.max_commands_in_flight = 1000;
  Hub hub(cache, limits, &runner);
  RecordingSink sink;
  hub.Attach(1, sink, platform::Principal{"rider-1", platform::Role::kCourier}, "t");
  for (int i = 0; i < 41; ++i) hub.OnClientText(1, Accept("r" + std::to_string(i)), now_);
  EXPECT_EQ(runner.sent.size(), 40u);
  EXPECT_EQ(sink.messages.back()["code"], "rate_limited");
}

TEST_F(HubCommandTest, AnAnswerForAConnectionThatIsGoneIsDropped) {
  Say(Accept("r1"));
  hub_.Detach(1);
  runner_.Answer(0, 200, json::object());
  EXPECT_TRUE(sink_.messages.empty());
}

TEST_F(HubCommandTest, WithoutATokenTheCommandGoesWithoutOneAndAcceptNeedsACourierId) {
  RecordingSink anonymous;
  hub_.Attach(2, anonymous);
  hub_.OnClientText(2, Accept("r1"), now_);
  EXPECT_EQ(anonymous.messages.at(0)["code"], "bad_request");
  hub_.OnClientText(2, Command("r2", "acceptDelivery", {{"orderId", kOrderId}, {"courierId", "rider-3"}}), now_);
  ASSERT_EQ(runner_.sent.size(), 1u);
  EXPECT_EQ(runner_.sent[0].token, "");
  EXPECT_EQ(json::parse(*runner_.sent[0].call.body)["courierId"], "rider-3");
}

TEST(HubCommandWithoutRunnerTest, CommandsAreAnswered503) {
  OrderCache cache;
  Hub hub(cache, HubLimits{});
  RecordingSink sink;
  hub.Attach(1, sink);
  hub.OnClientText(1, Command("r1", "placeOrder", json::object()), Clock::now());
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0]["type"], "result");
  EXPECT_EQ(sink.messages[0]["status"], 503);
}

}  // namespace
}  // namespace orders::notifier
