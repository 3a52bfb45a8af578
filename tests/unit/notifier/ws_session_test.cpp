// WsSession on a real loopback connection whose peer does not read: what its
// write queue does under pings.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <thread>

#include <orders/notifier/ws_session.hpp>

namespace orders::notifier {
namespace {

class StalledPeerTest : public ::testing::Test {
 protected:
  StalledPeerTest() : hub_(cache_, HubLimits{}), batcher_(io_), peer_(io_) {}

  void Open(SessionOptions options = {}) {
    asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    // Small kernel buffers on both sides, so the session's own queue fills at once.
    peer_.open(asio::ip::tcp::v4());
    peer_.set_option(asio::socket_base::receive_buffer_size(4096));
    peer_.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket server(io_);
    acceptor.accept(server);
    server.set_option(asio::socket_base::send_buffer_size(4096));
    server_fd_ = server.native_handle();  // the session keeps the descriptor
    session_ = std::make_shared<WsSession>(1, std::move(server), nullptr, hub_, batcher_, options, SessionCounters{},
                                           std::nullopt);
    session_->Start("HTTP/1.1 101 Switching Protocols\r\n\r\n");
    ticked_ = session_;
  }

  ~StalledPeerTest() override {
    if (session_) session_->Close(close_code::kGoingAway, "");
    RunFor(std::chrono::milliseconds(10));
  }

  void Stall() {
    for (int i = 0; i < 10; ++i) session_->SendText(std::string(60 * 1024, 'x'));
    RunFor(std::chrono::milliseconds(50));
  }

  void RunFor(std::chrono::milliseconds duration) {
    const auto end = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < end) {
      io_.poll();
      // The service's clock: deadlines are checked at every tick.
      if (auto session = ticked_.lock()) session->Tick(std::chrono::steady_clock::now());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  void PeerSends(const std::string& frame) { asio::write(peer_, asio::buffer(frame)); }

  static constexpr std::array<std::uint8_t, 4> kMask{1, 2, 3, 4};
  OrderCache cache_;
  Hub hub_;
  asio::io_context io_;
  SendBatcher batcher_;
  asio::ip::tcp::socket peer_;
  std::shared_ptr<WsSession> session_;
  std::weak_ptr<WsSession> ticked_;  // ticked by RunFor, as the service ticks its sessions
  int server_fd_ = -1;
};

int TcpOption(int fd, int level, int name) {
  int value = -1;
  socklen_t size = sizeof value;
  ::getsockopt(fd, level, name, &value, &size);
  return value;
}

TEST_F(StalledPeerTest, TheKernelDropsVanishedPeersThroughKeepaliveAndTcpUserTimeout) {
  Open();
  EXPECT_EQ(TcpOption(server_fd_, SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(TcpOption(server_fd_, IPPROTO_TCP, TCP_KEEPIDLE), 30);
  EXPECT_EQ(TcpOption(server_fd_, IPPROTO_TCP, TCP_KEEPCNT), 3);
  EXPECT_EQ(TcpOption(server_fd_, IPPROTO_TCP, TCP_USER_TIMEOUT), 30000);
}

// Most connections are idle: once a busy one's queue is written it must hold
// no buffer of its own (the old deque kept 576 bytes, the read buffer 16 KiB).
TEST_F(StalledPeerTest, ASessionWhoseQueueIsWrittenHoldsNoBuffers) {
  Open();
  Stall();
  ASSERT_GT(session_->buffer_bytes(), 0u) << "frames wait in the queue";
  peer_.non_blocking(true);
  std::array<char, 65536> sink{};
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (session_->queued_bytes() > 0 && std::chrono::steady_clock::now() < end) {
    asio::error_code ignored;
    while (peer_.read_some(asio::buffer(sink), ignored) > 0) {
    }
    RunFor(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(session_->queued_bytes(), 0u);
  EXPECT_EQ(session_->buffer_bytes(), 0u);
}

// No timer per connection: the service's tick drives the pings. A peer that
// answers none is closed (1008) at the third.
TEST_F(StalledPeerTest, TicksPingThePeerAndClosePastTwoUnansweredPings) {
  SessionOptions options;
  options.ping_interval = std::chrono::seconds(20);
  Open(options);
  ticked_.reset();  // this test ticks by hand
  RunFor(std::chrono::milliseconds(10));
  const auto start = std::chrono::steady_clock::now();
  // Each tick's frame is written before the next (a close drops frames not yet started).
  for (int seconds : {5, 21, 42, 63}) {  // 5: not due yet
    session_->Tick(start + std::chrono::seconds(seconds));
    RunFor(std::chrono::milliseconds(10));
  }
  FrameParser parser(FrameLimits{}, /*expect_masked=*/false);
  std::vector<WsMessage> messages;
  std::array<char, 65536> bytes{};
  peer_.non_blocking(true);
  std::string all;
  asio::error_code error;
  while (!error) {
    const std::size_t n = peer_.read_some(asio::buffer(bytes), error);
    all.append(bytes.data(), n);
  }
  std::string_view received(all);
  received.remove_prefix(received.find("\r\n\r\n") + 4);
  ASSERT_FALSE(parser.Feed(received, messages));
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].opcode, Opcode::kPing);
  EXPECT_EQ(messages[1].opcode, Opcode::kPing);
  EXPECT_EQ(messages[2].opcode, Opcode::kClose);
  ASSERT_GE(messages[2].payload.size(), 2u);
  EXPECT_EQ(
      (static_cast<std::uint8_t>(messages[2].payload[0]) << 8) | static_cast<std::uint8_t>(messages[2].payload[1]),
      close_code::kPolicyViolation);
}

TEST_F(StalledPeerTest, PingsFromAPeerThatDoesNotReadKeepOnlyTheLatestPongQueued) {
  Open();
  Stall();
  const std::size_t stalled = session_->queued_bytes();
  ASSERT_GT(stalled, 400u * 1024) << "the peer's buffers are full and the rest waits in the queue";

  // Under every rate limit (50 control frames/s, a burst of 40 messages), so
  // nothing closes the session: only the queue can grow.
  const std::string ping_payload(125, 'p');
  for (int i = 0; i < 40; ++i) PeerSends(EncodeFrame(Opcode::kPing, ping_payload, true, kMask));
  for (int i = 0; i < 30; ++i) PeerSends(EncodeFrame(Opcode::kText, R"({"type":"ping"})", true, kMask));
  RunFor(std::chrono::milliseconds(100));

  const std::size_t one_of_each =
      EncodeFrame(Opcode::kPong, ping_payload).size() + EncodeFrame(Opcode::kText, R"({"type":"pong"})").size();
  EXPECT_LE(session_->queued_bytes(), stalled + one_of_each)
      << "70 pings queued " << session_->queued_bytes() - stalled << " bytes of answers";
}

TEST_F(StalledPeerTest, AClosingSessionWhosePeerDoesNotReadIsReleasedAfterTheCloseDeadline) {
  SessionOptions options;
  options.close_timeout = std::chrono::milliseconds(200);
  Open(options);
  Stall();
  std::weak_ptr<WsSession> released = session_;
  session_->Close(close_code::kTryAgainLater, "too slow");
  session_.reset();
  RunFor(std::chrono::milliseconds(100));
  EXPECT_FALSE(released.expired()) << "before the deadline the close frame may still get through";
  RunFor(std::chrono::milliseconds(300));
  ASSERT_TRUE(released.expired()) << "the socket and the session are let go";
  // The peer sees the connection end (its unread data is discarded with it).
  asio::error_code error;
  std::array<char, 65536> sink{};
  while (!error) peer_.read_some(asio::buffer(sink), error);
  EXPECT_TRUE(error == asio::error::eof || error == asio::error::connection_reset) << error.message();
}

TEST_F(StalledPeerTest, APagedSnapshotPastTheQueueBoundIsNotTakenForASlowClient) {
  Open();
  Stall();  // about 600 KiB queued: the peer has not read yet
  ASSERT_GT(session_->queued_bytes(), 400u * 1024);
  // The pages of one snapshot of 100 maximal orders: 1.25 MB in 20 pages.
  for (int page = 0; page < 20; ++page) session_->SendSnapshotPage(std::string(62 * 1024, 's'));
  RunFor(std::chrono::milliseconds(20));
  EXPECT_GT(session_->queued_bytes(), std::size_t{1} << 20);
  // Still open: a ping is answered into the queue.
  const auto before = session_->queued_bytes();
  PeerSends(EncodeFrame(Opcode::kPing, "still there?", true, kMask));
  RunFor(std::chrono::milliseconds(20));
  EXPECT_GT(session_->queued_bytes(), before) << "the session was closed as slow";
}

TEST_F(StalledPeerTest, PlainMessagesPastTheQueueBoundCloseTheSessionAsSlow) {
  Open();
  Stall();
  for (int i = 0; i < 20; ++i) session_->SendText(std::string(62 * 1024, 'u'));
  RunFor(std::chrono::milliseconds(20));
  const auto before = session_->queued_bytes();
  PeerSends(EncodeFrame(Opcode::kPing, "still there?", true, kMask));
  RunFor(std::chrono::milliseconds(20));
  EXPECT_EQ(session_->queued_bytes(), before) << "closing: pings are no longer answered";
}

}  // namespace
}  // namespace orders::notifier
