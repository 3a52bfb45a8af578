// The sender's refusals that need no receiver: what it says, that it says it quickly, and that the
// secret is never in it. Deliveries to real receivers are in tests/integration/notifier.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include <orders/notifier/webhooks/http_webhook_sender.hpp>

namespace orders::notifier::webhooks {
namespace {

constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// A loopback listener that never accepts: connections complete in its backlog.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { Close(); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool SawAConnection() {
    const int accepted = ::accept(fd_, nullptr, nullptr);
    if (accepted >= 0) ::close(accepted);
    return accepted >= 0;
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

SenderSettings LoopbackAllowed() {
  SenderSettings settings;
  settings.allow_private = true;
  return settings;
}

PostRequest RequestTo(const std::string& url) { return PostRequest{url, "msg_1", R"({"id":"msg_1"})", kSecret}; }

TEST(HttpWebhookSender, RefusesAPrivateTargetAtConnectTimeWithoutConnecting) {
  Listener receiver;
  HttpWebhookSender sender(SenderSettings{});
  const auto outcome = sender.Post(RequestTo(receiver.Url()));
  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.http_status, 0);
  EXPECT_EQ(outcome.error, "the URL's host is a loopback address, which is not allowed");
  EXPECT_FALSE(receiver.SawAConnection());
  // A name is judged by what it resolves to now, not by what it was registered as.
  const auto by_name = sender.Post(RequestTo("http://localhost:1/hook"));
  EXPECT_EQ(by_name.error, "the URL's host resolves to a loopback address, which is not allowed");
}

TEST(HttpWebhookSender, RefusesUrlsThatAreNotHttpOrHttps) {
  HttpWebhookSender sender(LoopbackAllowed());
  EXPECT_EQ(sender.Post(RequestTo("file:///etc/passwd")).error, "invalid URL: the URL must use http or https");
  EXPECT_EQ(sender.Post(RequestTo("http://u:p@127.0.0.1/")).error, "invalid URL: the URL must not contain credentials");
}

TEST(HttpWebhookSender, AClosedPortIsConnectionRefusedAtOnce) {
  Listener closed;
  const std::string url = closed.Url();
  closed.Close();
  HttpWebhookSender sender(LoopbackAllowed());
  const auto outcome = sender.Post(RequestTo(url));
  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.error, "connection refused");
  EXPECT_LT(outcome.took.count(), 1000);
}

TEST(HttpWebhookSender, AMessageIdThatCouldBreakTheHeadersIsNotSent) {
  Listener receiver;
  HttpWebhookSender sender(LoopbackAllowed());
  auto request = RequestTo(receiver.Url());
  request.message_id = "msg_1\r\nX-Injected: yes";
  EXPECT_EQ(sender.Post(request).error, "the message id cannot be sent as a header");
  EXPECT_FALSE(receiver.SawAConnection());
}

TEST(HttpWebhookSender, AMalformedSecretFailsWithoutShowingIt) {
  Listener receiver;
  HttpWebhookSender sender(LoopbackAllowed());
  auto request = RequestTo(receiver.Url());
  request.secret = "whsec_%%top-secret-value%%";
  const auto outcome = sender.Post(request);
  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.error, "the signing secret is not valid base64");
  EXPECT_FALSE(receiver.SawAConnection());
}

// The listener's backlog completes the TCP handshake; no TLS answer ever comes.
TEST(HttpWebhookSender, ATlsHandshakeThatIsNeverAnsweredEndsAtTheDeadline) {
  Listener silent;
  auto settings = LoopbackAllowed();
  settings.timeout = std::chrono::milliseconds(300);
  HttpWebhookSender sender(settings);
  std::string url = silent.Url();
  url.replace(0, 4, "https");
  const auto started = std::chrono::steady_clock::now();
  const auto outcome = sender.Post(RequestTo(url));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(outcome.error, "timeout");
  EXPECT_GE(took, std::chrono::milliseconds(290));
  EXPECT_LT(took, std::chrono::milliseconds(1500));
}

TEST(HttpWebhookSender, AnUnreadableCaFileIsAConfigurationError) {
  SenderSettings settings;
  settings.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(HttpWebhookSender{settings}, std::runtime_error);
}

}  // namespace
}  // namespace orders::notifier::webhooks
