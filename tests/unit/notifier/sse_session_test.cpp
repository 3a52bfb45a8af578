// SseSession with a real hub on a real loopback connection: what a reader
// sees, and what happens to a reader that stops reading.
#include <gtest/gtest.h>

#include <thread>

#include <orders/notifier/sse_session.hpp>
#include <orders/testing/builders.hpp>
#include <orders/testing/sse_client.hpp>

namespace orders::notifier {
namespace {

using domain::Status;
using testing::Changed;
using testing::kOrderId;
using testing::Placed;
using testing::SseEvent;
using testing::SseReader;

std::string SubscribeOrder(std::optional<int> since = std::nullopt) {
  std::string message = std::string(R"({"type":"subscribe","orderId":")") + kOrderId + "\"";
  if (since) message += ",\"sinceVersion\":" + std::to_string(*since);
  return message + "}";
}

class SseSessionTest : public ::testing::Test {
 protected:
  SseSessionTest() : hub_(cache_, HubLimits{}), batcher_(io_), peer_(io_) {}

  ~SseSessionTest() override {
    if (session_) session_->Close(1001, "");
    RunFor(std::chrono::milliseconds(10));
  }

  std::shared_ptr<SseSession> Make(SseSessionOptions options = {}) {
    options_ = options;
    return std::make_shared<SseSession>(1, io_, hub_, batcher_, events_, options, [this] { ++slow_closed_; });
  }

  // Connects the peer and starts the session on the server side of it.
  void Start(int receive_buffer = 0) {
    asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    peer_.open(asio::ip::tcp::v4());
    if (receive_buffer > 0) peer_.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    peer_.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket server(io_);
    acceptor.accept(server);
    if (receive_buffer > 0) server.set_option(asio::socket_base::send_buffer_size(4096));
    peer_.non_blocking(true);
    session_->Start(std::move(server), nullptr, SseResponseHead({}));
  }

  void RunFor(std::chrono::milliseconds duration) {
    const auto end = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < end) {
      io_.poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  // Reads what arrived (after running the io loop a little); false once the stream ended.
  bool ReadPeer(std::chrono::milliseconds run = std::chrono::milliseconds(20)) {
    RunFor(run);
    std::array<char, 65536> buffer{};
    while (true) {
      asio::error_code error;
      const std::size_t n = peer_.read_some(asio::buffer(buffer), error);
      if (error == asio::error::would_block) return true;
      if (error) return false;
      received_ += std::string_view(buffer.data(), n);
      if (!head_done_) {
        const auto end = received_.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        head_ = received_.substr(0, end + 4);
        reader_.Feed(std::string_view(received_).substr(end + 4));
        head_done_ = true;
      } else {
        reader_.Feed(std::string_view(buffer.data(), n));
      }
    }
  }

  std::vector<SseEvent> Events() {
    std::vector<SseEvent> events;
    while (auto event = reader_.Next()) events.push_back(*event);
    return events;
  }

  OrderCache cache_;
  Hub hub_;
  asio::io_context io_;
  SendBatcher batcher_;
  SseEventCache events_;
  SseSessionOptions options_;
  asio::ip::tcp::socket peer_;
  std::shared_ptr<SseSession> session_;
  int slow_closed_ = 0;
  std::string received_;
  std::string head_;
  bool head_done_ = false;
  SseReader reader_;
};

TEST_F(SseSessionTest, ARefusedSubscriptionWritesNothingAndLeavesTheHub) {
  session_ = Make();
  const auto refused = session_->Subscribe(platform::Principal{"customer-1", platform::Role::kCustomer}, {},
                                           R"({"type":"subscribe","all":true})");
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->find("\"forbidden\""), std::string::npos) << *refused;
  EXPECT_EQ(hub_.stats().sessions, 0u);
  session_.reset();
}

TEST_F(SseSessionTest, TheStreamIsTheHeadTheRetryHintTheSnapshotAndThenEachUpdateWithItsId) {
  hub_.OnEvent(Placed());
  session_ = Make({.retry = std::chrono::milliseconds(1500)});
  ASSERT_FALSE(session_->Subscribe(std::nullopt, {}, SubscribeOrder()));
  Start();
  hub_.OnEvent(Changed(2, Status::kPending, Status::kConfirmed));
  hub_.OnEvent(Changed(3, Status::kConfirmed, Status::kShipped));
  ASSERT_TRUE(ReadPeer());
  EXPECT_EQ(head_.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head_;
  const auto events = Events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].retry, 1500);
  EXPECT_EQ(events[1].event, "snapshot");
  EXPECT_EQ(events[1].Json()["order"]["version"], 1);
  EXPECT_EQ(events[2].event, "update");
  EXPECT_EQ(events[2].id, std::string(kOrderId) + ":2");
  EXPECT_EQ(events[3].id, std::string(kOrderId) + ":3");
  EXPECT_EQ(events[3].Json()["status"], "shipped");
}

TEST_F(SseSessionTest, AResumeReplaysExactlyTheVersionsAfterTheLastEventId) {
  hub_.OnEvent(Placed());
  hub_.OnEvent(Changed(2, Status::kPending, Status::kConfirmed));
  hub_.OnEvent(Changed(3, Status::kConfirmed, Status::kProcessing));
  hub_.OnEvent(Changed(4, Status::kProcessing, Status::kShipped));
  session_ = Make();
  ASSERT_FALSE(session_->Subscribe(std::nullopt, {}, SubscribeOrder(2)));
  Start();
  hub_.OnEvent(Changed(5, Status::kShipped, Status::kDelivered));
  ASSERT_TRUE(ReadPeer());
  std::vector<std::string> ids;
  for (const auto& event : Events()) {
    if (event.event == "snapshot") ADD_FAILURE() << "a resume within the kept events sends no snapshot";
    if (event.has_id) ids.push_back(event.id);
  }
  const std::string order = kOrderId;
  EXPECT_EQ(ids, (std::vector<std::string>{order + ":3", order + ":4", order + ":5"}));
}

TEST_F(SseSessionTest, AQuietStreamGetsCommentHeartbeats) {
  hub_.OnEvent(Placed());
  session_ = Make({.heartbeat = std::chrono::milliseconds(30)});
  ASSERT_FALSE(session_->Subscribe(std::nullopt, {}, SubscribeOrder()));
  Start();
  ASSERT_TRUE(ReadPeer(std::chrono::milliseconds(120)));
  int heartbeats = 0;
  for (const auto& event : Events()) heartbeats += event.comment == "hb";
  EXPECT_GE(heartbeats, 2);
}

TEST_F(SseSessionTest, AnErrorAfterTheStartIsSentAndEndsTheStream) {
  HubLimits limits;
  limits.not_found_wait = std::chrono::milliseconds(0);
  Hub hub(cache_, limits);
  session_ = std::make_shared<SseSession>(1, io_, hub, batcher_, events_, SseSessionOptions{}, nullptr);
  ASSERT_FALSE(session_->Subscribe(std::nullopt, {}, SubscribeOrder())) << "not seen yet: it waits";
  Start();
  hub.Tick(Clock::now() + std::chrono::seconds(1));
  EXPECT_FALSE(ReadPeer(std::chrono::milliseconds(50))) << "the stream ended";
  const auto events = Events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "error");
  EXPECT_EQ(events.back().Json()["code"], "not_found");
  RunFor(std::chrono::milliseconds(5));
  EXPECT_EQ(hub.stats().sessions, 0u);
  session_.reset();
}

TEST_F(SseSessionTest, AnExpiredTokenEndsTheStreamWithAnErrorEvent) {
  hub_.OnEvent(Placed());
  session_ = Make();
  const auto expires = std::chrono::system_clock::now() + std::chrono::seconds(60);
  ASSERT_FALSE(session_->Subscribe(platform::Principal{"ops", platform::Role::kStaff, expires}, {}, SubscribeOrder()));
  Start();
  hub_.Tick(Clock::now(), expires + std::chrono::seconds(1));
  EXPECT_FALSE(ReadPeer(std::chrono::milliseconds(50))) << "the stream ended";
  const auto events = Events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "error");
  EXPECT_EQ(events.back().Json()["message"], "token expired");
  EXPECT_EQ(head_.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << "the head is never dropped for the final event";
}

TEST_F(SseSessionTest, AReaderThatStopsIsCutOffAtTheQueueBoundAndItsQueueFreed) {
  hub_.OnEvent(Placed());
  session_ = Make();
  ASSERT_FALSE(session_->Subscribe(std::nullopt, {}, SubscribeOrder()));
  Start(/*receive_buffer=*/4096);
  RunFor(std::chrono::milliseconds(10));
  const std::string big = R"({"type":"update","orderId":"x","version":1,"pad":")" + std::string(60 * 1024, 'x') + "\"}";
  for (int i = 0; i < 40 && slow_closed_ == 0; ++i) {
    session_->SendText(big);
    EXPECT_LE(session_->queued_bytes(), options_.max_queued_bytes);
  }
  EXPECT_EQ(slow_closed_, 1);
  EXPECT_EQ(session_->queued_bytes(), 0u);
  RunFor(std::chrono::milliseconds(20));
  EXPECT_EQ(hub_.stats().sessions, 0u);
}

TEST_F(SseSessionTest, AQuietReaderThatTakesNothingForTwoHeartbeatsIsCutOff) {
  hub_.OnEvent(Placed());
  session_ = Make({.heartbeat = std::chrono::milliseconds(30)});
  ASSERT_FALSE(session_->Subscribe(std::nullopt, {}, SubscribeOrder()));
  Start(/*receive_buffer=*/4096);
  // Well under the bound, but more than the kernel buffers take.
  for (int i = 0; i < 5; ++i)
    session_->SendText(std::string(R"({"type":"update","pad":")") + std::string(60 * 1024, 'x') + "\"}");
  RunFor(std::chrono::milliseconds(20));
  ASSERT_GT(session_->queued_bytes(), 0u);
  EXPECT_EQ(slow_closed_, 0);
  RunFor(std::chrono::milliseconds(150));
  EXPECT_EQ(slow_closed_, 1);
  EXPECT_EQ(hub_.stats().sessions, 0u);
}

}  // namespace
}  // namespace orders::notifier
