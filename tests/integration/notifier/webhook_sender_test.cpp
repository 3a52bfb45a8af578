// HttpWebhookSender against real receivers, each its own process (tests/support/webhook_receiver.py):
// what each kind of receiver makes of a delivery, how long a bad one can hold the sender, how much of
// an answer is read, https with verification, and signatures checked by the Standard Webhooks
// reference library (tests/tools/verify_webhook_signatures.py).

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>
#include <orders/notifier/webhooks/http_webhook_sender.hpp>
#include <orders/notifier/webhooks/webhook_signer.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/webhook_receiver.hpp>

namespace orders::notifier::webhooks {
namespace {

using orders::testing::WebhookReceiver;
using std::chrono::milliseconds;

constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kSecretKeyPart[] = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::string CloudEvent(const std::string& id) {
  return nlohmann::json{{"specversion", "1.0"},
                        {"id", id},
                        {"source", "/orders"},
                        {"type", "order.placed.v1"},
                        {"subject", "ord-1"},
                        {"datacontenttype", "application/json"},
                        {"data", {{"orderId", "ord-1"}, {"note", "café ✓"}}}}
      .dump();
}

class WebhookSenderTest : public ::testing::Test {
 protected:
  // OpenSSL writes to sockets with write(2): a receiver that went away must not kill the test.
  void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }

  static SenderSettings Settings(milliseconds timeout = milliseconds(2000)) {
    SenderSettings settings;
    settings.timeout = timeout;
    settings.allow_private = true;  // the receivers live on loopback
    return settings;
  }

  // One delivery; whatever happened, the secret is nowhere in what the sender reports.
  static PostOutcome Post(HttpWebhookSender& sender, const std::string& url, const std::string& id = "msg_1") {
    const auto outcome = sender.Post(PostRequest{url, id, CloudEvent(id), kSecret});
    EXPECT_EQ(outcome.error.find(kSecretKeyPart), std::string::npos) << outcome.error;
    EXPECT_EQ(outcome.error.find(url), std::string::npos) << outcome.error;
    return outcome;
  }

  static std::unique_ptr<WebhookReceiver> Receiver(std::vector<std::string> arguments) {
    auto receiver = std::make_unique<WebhookReceiver>(arguments);
    EXPECT_NE(receiver->port(), 0) << "the receiver did not start";
    return receiver;
  }
};

TEST_F(WebhookSenderTest, AHealthyReceiverGetsOneSignedPostWithTheStandardWebhooksHeaders) {
  auto receiver = Receiver({"--mode", "healthy"});
  HttpWebhookSender sender(Settings());
  const auto before = std::chrono::duration_cast<std::chrono::seconds>(WallClock::now().time_since_epoch()).count();
  const auto outcome = Post(sender, receiver->Url("/hooks/orders?team=a"), "msg_healthy");
  const auto after = std::chrono::duration_cast<std::chrono::seconds>(WallClock::now().time_since_epoch()).count();
  EXPECT_TRUE(outcome.delivered) << outcome.error;
  EXPECT_EQ(outcome.http_status, 200);
  EXPECT_EQ(outcome.error, "");

  const auto received = receiver->Received();
  ASSERT_EQ(received.size(), 1u);
  const auto& request = received[0];
  EXPECT_EQ(request["method"], "POST");
  EXPECT_EQ(request["path"], "/hooks/orders?team=a");
  EXPECT_EQ(request["body"], CloudEvent("msg_healthy"));
  const auto& headers = request["headers"];
  EXPECT_EQ(headers.value("content-type", ""), "application/json");
  EXPECT_EQ(headers.value("webhook-id", ""), "msg_healthy");
  EXPECT_EQ(headers.value("user-agent", "").rfind("orders-notifier-webhooks/", 0), 0u) << headers.dump();
  EXPECT_EQ(headers.value("host", ""), "127.0.0.1:" + std::to_string(receiver->port()));
  const std::int64_t timestamp = std::stoll(headers.value("webhook-timestamp", "0"));
  EXPECT_GE(timestamp, before);
  EXPECT_LE(timestamp, after);
  EXPECT_EQ(headers.value("webhook-signature", ""),
            *SignWebhook(kSecret, "msg_healthy", timestamp, CloudEvent("msg_healthy")));
  EXPECT_EQ(request.dump().find(kSecretKeyPart), std::string::npos) << "the secret itself never travels";
}

TEST_F(WebhookSenderTest, AReceiverFailingThenRecoveringIsAFailureUntilItAnswers2xx) {
  auto receiver = Receiver({"--mode", "fail-then-recover", "--failures", "2"});
  HttpWebhookSender sender(Settings());
  for (int attempt = 1; attempt <= 2; ++attempt) {
    const auto failed = Post(sender, receiver->Url(), "msg_retried");
    EXPECT_FALSE(failed.delivered) << attempt;
    EXPECT_EQ(failed.http_status, 500);
    EXPECT_EQ(failed.error, "HTTP 500");
  }
  const auto recovered = Post(sender, receiver->Url(), "msg_retried");
  EXPECT_TRUE(recovered.delivered) << recovered.error;
  EXPECT_EQ(recovered.http_status, 200);
  EXPECT_EQ(receiver->CountOf("msg_retried"), 3) << "every attempt carries the same webhook-id";
}

TEST_F(WebhookSenderTest, AHangingReceiverHoldsTheSenderForTheTimeoutAndNoLonger) {
  auto receiver = Receiver({"--mode", "hang", "--delay-ms", "30000"});
  HttpWebhookSender sender(Settings(milliseconds(1000)));
  const auto started = std::chrono::steady_clock::now();
  const auto outcome = Post(sender, receiver->Url());
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.error, "timeout");
  EXPECT_EQ(outcome.http_status, 0);
  EXPECT_GE(took, milliseconds(950));
  EXPECT_LT(took, milliseconds(3000));
  EXPECT_EQ(receiver->Received().size(), 1u) << "the request itself was sent";
}

// A receiver that sends its answer one byte every 50 ms keeps every read busy: only the single
// deadline for the whole attempt stops it.
TEST_F(WebhookSenderTest, ATricklingReceiverIsCutOffAtTheDeadline) {
  auto receiver = Receiver({"--mode", "trickle", "--delay-ms", "50"});
  HttpWebhookSender sender(Settings(milliseconds(1000)));
  const auto started = std::chrono::steady_clock::now();
  const auto outcome = Post(sender, receiver->Url());
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.error, "timeout");
  EXPECT_GE(took, milliseconds(950));
  EXPECT_LT(took, milliseconds(3000));
}

TEST_F(WebhookSenderTest, ASlowReceiverWithinTheTimeoutIsDelivered) {
  auto receiver = Receiver({"--mode", "slow", "--delay-ms", "300"});
  HttpWebhookSender sender(Settings(milliseconds(5000)));
  const auto outcome = Post(sender, receiver->Url());
  EXPECT_TRUE(outcome.delivered) << outcome.error;
  EXPECT_GE(outcome.took, milliseconds(300));
}

TEST_F(WebhookSenderTest, ARedirectIsAFailureAndIsNeverFollowed) {
  auto receiver = Receiver({"--mode", "redirect"});
  HttpWebhookSender sender(Settings());
  const auto outcome = Post(sender, receiver->Url());
  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.http_status, 302);
  EXPECT_EQ(outcome.error, "HTTP 302 (redirects are not followed)");
  const auto received = receiver->Received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0]["path"], "/hook");
}

TEST_F(WebhookSenderTest, ClientAndServerErrorsAreFailuresWithTheirStatus) {
  for (const char* status : {"404", "410", "503"}) {
    auto receiver = Receiver({"--mode", "status", "--status", status});
    HttpWebhookSender sender(Settings());
    const auto outcome = Post(sender, receiver->Url());
    EXPECT_FALSE(outcome.delivered) << status;
    EXPECT_EQ(outcome.http_status, std::stoi(status));
    EXPECT_EQ(outcome.error, std::string("HTTP ") + status);
  }
}

TEST_F(WebhookSenderTest, AConnectionClosedMidAnswerIsAFailure) {
  auto receiver = Receiver({"--mode", "close-mid-response"});
  HttpWebhookSender sender(Settings());
  const auto outcome = Post(sender, receiver->Url());
  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.http_status, 0) << "a status line cut short is no status";
  EXPECT_EQ(outcome.error, "connection closed mid-answer");
}

TEST_F(WebhookSenderTest, AConnectionResetInsteadOfAnAnswerIsAFailure) {
  auto receiver = Receiver({"--mode", "reset"});
  HttpWebhookSender sender(Settings());
  const auto outcome = Post(sender, receiver->Url());
  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.http_status, 0);
  EXPECT_EQ(outcome.error, "connection reset");
  EXPECT_EQ(receiver->Received().size(), 1u);
}

TEST_F(WebhookSenderTest, AnAnswerThatIsNotHttpIsAFailure) {
  auto receiver = Receiver({"--mode", "garbage"});
  HttpWebhookSender sender(Settings());
  const auto outcome = Post(sender, receiver->Url());
  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.http_status, 0);
  EXPECT_EQ(outcome.error, "not an HTTP answer");
}

TEST_F(WebhookSenderTest, AnAnswerHeadBeyondTheLimitIsRefusedWithoutReadingIt) {
  auto receiver = Receiver({"--mode", "oversized-head"});
  auto settings = Settings();
  settings.max_response_bytes = 16 * 1024;
  HttpWebhookSender sender(settings);
  const auto outcome = Post(sender, receiver->Url());
  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.error, "answer head larger than 16384 bytes");
}

// 64 MiB of body behind a 200, streamed over about 10 s: the head decides and the body is left
// unread (a sender that waited for the body would run into its 5 s deadline).
TEST_F(WebhookSenderTest, AHugeBodyBehindA2xxIsNotRead) {
  auto receiver = Receiver({"--mode", "big-body"});
  HttpWebhookSender sender(Settings(milliseconds(5000)));
  const auto outcome = Post(sender, receiver->Url());
  EXPECT_TRUE(outcome.delivered) << outcome.error;
  EXPECT_LT(outcome.took, milliseconds(3000));
}

TEST_F(WebhookSenderTest, ALoopbackReceiverIsRefusedAtConnectTimeWhenPrivateTargetsAreNotAllowed) {
  auto receiver = Receiver({"--mode", "healthy"});
  auto settings = Settings();
  settings.allow_private = false;
  HttpWebhookSender sender(settings);
  const auto outcome = Post(sender, receiver->Url());
  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.error, "the URL's host is a loopback address, which is not allowed");
  EXPECT_TRUE(receiver->Received().empty());
}

// Keep-alive: connections are reused per origin after a clean 2xx exchange, and only then.
std::set<int> ClientPorts(const WebhookReceiver& receiver) {
  std::set<int> ports;
  for (const auto& request : receiver.Received()) ports.insert(request.value("clientPort", 0));
  return ports;
}

TEST_F(WebhookSenderTest, AKeepAliveReceiverGetsEveryDeliveryOnOneConnection) {
  auto receiver = Receiver({"--mode", "healthy", "--keep-alive"});
  HttpWebhookSender sender(Settings());
  for (int i = 0; i < 5; ++i) {
    const auto outcome = Post(sender, receiver->Url(), "msg_kept_" + std::to_string(i));
    ASSERT_TRUE(outcome.delivered) << outcome.error;
  }
  EXPECT_EQ(receiver->Received().size(), 5u);
  EXPECT_EQ(ClientPorts(*receiver).size(), 1u) << "one connection carried all five";
  EXPECT_EQ(sender.IdleConnections(), 1u);
}

TEST_F(WebhookSenderTest, AReceiverThatSaysConnectionCloseGetsANewConnectionEachTime) {
  auto receiver = Receiver({"--mode", "healthy"});  // answers with Connection: close
  HttpWebhookSender sender(Settings());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Post(sender, receiver->Url(), "msg_close_" + std::to_string(i)).delivered);
  EXPECT_EQ(ClientPorts(*receiver).size(), 3u);
  EXPECT_EQ(sender.IdleConnections(), 0u);
}

TEST_F(WebhookSenderTest, AConnectionIsNotReusedAfterAnErrorAnswer) {
  auto receiver = Receiver({"--mode", "fail-then-recover", "--failures", "2", "--keep-alive"});
  HttpWebhookSender sender(Settings());
  EXPECT_EQ(Post(sender, receiver->Url(), "msg_e1").error, "HTTP 500");
  EXPECT_EQ(Post(sender, receiver->Url(), "msg_e2").error, "HTTP 500");
  EXPECT_TRUE(Post(sender, receiver->Url(), "msg_e3").delivered);
  EXPECT_TRUE(Post(sender, receiver->Url(), "msg_e4").delivered);
  const auto received = receiver->Received();
  ASSERT_EQ(received.size(), 4u);
  EXPECT_NE(received[0]["clientPort"], received[1]["clientPort"]) << "closed after the first 500";
  EXPECT_NE(received[1]["clientPort"], received[2]["clientPort"]) << "closed after the second 500";
  EXPECT_EQ(received[2]["clientPort"], received[3]["clientPort"]) << "kept after the 2xx";
}

TEST_F(WebhookSenderTest, AConnectionIsNotReusedAfterATimeout) {
  auto receiver = Receiver({"--mode", "hang", "--delay-ms", "1500", "--keep-alive"});
  HttpWebhookSender sender(Settings(milliseconds(500)));
  EXPECT_EQ(Post(sender, receiver->Url(), "msg_t1").error, "timeout");
  EXPECT_EQ(sender.IdleConnections(), 0u);
  receiver->SetMode({{"mode", "healthy"}});
  EXPECT_TRUE(Post(sender, receiver->Url(), "msg_t2").delivered);
  const auto received = receiver->Received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_NE(received[0]["clientPort"], received[1]["clientPort"]);
}

TEST_F(WebhookSenderTest, AConnectionIsNotReusedAfterAPartialAnswer) {
  auto receiver = Receiver({"--mode", "close-mid-response", "--keep-alive"});
  HttpWebhookSender sender(Settings());
  EXPECT_EQ(Post(sender, receiver->Url(), "msg_p1").error, "connection closed mid-answer");
  EXPECT_EQ(sender.IdleConnections(), 0u);
}

// The receiver closes a kept connection after 200 ms of quiet, as servers do: the next delivery
// must not fail for it (a fresh connection is taken, the delivery arrives once).
TEST_F(WebhookSenderTest, AKeptConnectionTheReceiverClosedMeanwhileIsReplacedNotAFailure) {
  auto receiver = Receiver({"--mode", "healthy", "--keep-alive", "--idle-close-ms", "200"});
  HttpWebhookSender sender(Settings());
  ASSERT_TRUE(Post(sender, receiver->Url(), "msg_s1").delivered);
  std::this_thread::sleep_for(milliseconds(600));
  const auto outcome = Post(sender, receiver->Url(), "msg_s2");
  EXPECT_TRUE(outcome.delivered) << outcome.error;
  EXPECT_EQ(receiver->CountOf("msg_s2"), 1);
  EXPECT_EQ(ClientPorts(*receiver).size(), 2u);
}

TEST_F(WebhookSenderTest, AnIdleConnectionIsClosedAfterTheIdleTimeout) {
  auto receiver = Receiver({"--mode", "healthy", "--keep-alive"});
  auto settings = Settings();
  settings.idle_timeout = milliseconds(200);
  HttpWebhookSender sender(settings);
  ASSERT_TRUE(Post(sender, receiver->Url(), "msg_i1").delivered);
  EXPECT_EQ(sender.IdleConnections(), 1u);
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(3000);
  while (sender.IdleConnections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(sender.IdleConnections(), 0u) << "closed without another delivery coming";
  ASSERT_TRUE(Post(sender, receiver->Url(), "msg_i2").delivered);
  EXPECT_EQ(ClientPorts(*receiver).size(), 2u);
}

TEST_F(WebhookSenderTest, IdleConnectionsPerOriginAreBounded) {
  auto receiver = Receiver({"--mode", "slow", "--delay-ms", "200", "--keep-alive"});
  auto settings = Settings();
  settings.max_idle_per_origin = 2;
  HttpWebhookSender sender(settings);
  std::vector<std::thread> posts;
  for (int i = 0; i < 4; ++i) {
    posts.emplace_back([&, i] { Post(sender, receiver->Url(), "msg_b" + std::to_string(i)); });
  }
  for (auto& post : posts) post.join();
  EXPECT_EQ(ClientPorts(*receiver).size(), 4u) << "four at once need four connections";
  EXPECT_EQ(sender.IdleConnections(), 2u) << "of which two are kept";
}

TEST_F(WebhookSenderTest, TheTraceparentOfTheRequestIsSentAsAHeader) {
  auto receiver = Receiver({"--mode", "healthy"});
  HttpWebhookSender sender(Settings());
  PostRequest request{receiver->Url(), "msg_traced", CloudEvent("msg_traced"), kSecret,
                      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"};
  ASSERT_TRUE(sender.Post(request).delivered);
  ASSERT_TRUE(
      sender.Post(PostRequest{receiver->Url(), "msg_untraced", CloudEvent("msg_untraced"), kSecret, ""}).delivered);
  const auto received = receiver->Received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0]["headers"].value("traceparent", ""), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_FALSE(received[1]["headers"].contains("traceparent"));
}

// A self-signed certificate (and its key) for the given subjectAltName, made with the openssl tool.
struct Certificate {
  std::string cert;
  std::string key;
};

Certificate MakeCertificate(const std::string& name, const std::string& alt_names) {
  const std::string base = "/tmp/" + orders::testing::UniqueName(name);
  Certificate made{base + ".crt", base + ".key"};
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
      "/CN=" +
      name + " -addext subjectAltName=" + alt_names + " -keyout " + made.key + " -out " + made.cert +
      " >/dev/null 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return made;
}

class WebhookSenderTlsTest : public WebhookSenderTest {
 protected:
  void TearDown() override {
    for (const auto& made : made_) {
      std::remove(made.cert.c_str());
      std::remove(made.key.c_str());
    }
  }
  Certificate Made(const std::string& name, const std::string& alt_names) {
    made_.push_back(MakeCertificate(name, alt_names));
    return made_.back();
  }
  static std::unique_ptr<WebhookReceiver> TlsReceiver(const Certificate& certificate) {
    auto receiver = std::make_unique<WebhookReceiver>(
        std::vector<std::string>{"--mode", "healthy", "--tls-cert", certificate.cert, "--tls-key", certificate.key},
        true);
    EXPECT_NE(receiver->port(), 0) << "the receiver did not start";
    return receiver;
  }
  static std::string HttpsUrl(const std::string& host, const WebhookReceiver& receiver) {
    return "https://" + host + ":" + std::to_string(receiver.port()) + "/hook";
  }

 private:
  std::vector<Certificate> made_;
};

TEST_F(WebhookSenderTlsTest, HttpsToATrustedReceiverIsDeliveredByNameAndByAddress) {
  const auto certificate = Made("localhost", "DNS:localhost,IP:127.0.0.1");
  auto receiver = TlsReceiver(certificate);
  auto settings = Settings();
  settings.ca_file = certificate.cert;
  HttpWebhookSender sender(settings);
  const auto by_name = Post(sender, HttpsUrl("localhost", *receiver), "msg_tls_name");
  EXPECT_TRUE(by_name.delivered) << by_name.error;
  EXPECT_EQ(by_name.http_status, 200);
  const auto by_address = Post(sender, HttpsUrl("127.0.0.1", *receiver), "msg_tls_address");
  EXPECT_TRUE(by_address.delivered) << by_address.error;
  const auto received = receiver->Received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0]["headers"].value("host", ""), "localhost:" + std::to_string(receiver->port()));
  EXPECT_EQ(received[0]["body"], CloudEvent("msg_tls_name"));
}

TEST_F(WebhookSenderTlsTest, AnUntrustedCertificateIsRefusedBeforeAnythingIsSent) {
  auto receiver = TlsReceiver(Made("localhost", "DNS:localhost,IP:127.0.0.1"));
  HttpWebhookSender sender(Settings());  // the system store only
  const auto outcome = Post(sender, HttpsUrl("localhost", *receiver));
  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.error.rfind("TLS: certificate not accepted (", 0), 0u) << outcome.error;
  EXPECT_TRUE(receiver->Received().empty());
}

TEST_F(WebhookSenderTlsTest, ACertificateForAnotherHostIsRefused) {
  const auto certificate = Made("other.example", "DNS:other.example");
  auto receiver = TlsReceiver(certificate);
  auto settings = Settings();
  settings.ca_file = certificate.cert;
  HttpWebhookSender sender(settings);
  const auto by_name = Post(sender, HttpsUrl("localhost", *receiver));
  EXPECT_EQ(by_name.error, "TLS: certificate not accepted (hostname mismatch)");
  const auto by_address = Post(sender, HttpsUrl("127.0.0.1", *receiver));
  EXPECT_EQ(by_address.error, "TLS: certificate not accepted (IP address mismatch)");
  EXPECT_TRUE(receiver->Received().empty());
}

TEST_F(WebhookSenderTlsTest, HttpsToAPlainHttpReceiverFailsTheHandshake) {
  auto receiver = Receiver({"--mode", "healthy"});
  HttpWebhookSender sender(Settings());
  const auto outcome = Post(sender, HttpsUrl("127.0.0.1", *receiver));
  EXPECT_FALSE(outcome.delivered);
  EXPECT_EQ(outcome.error.rfind("TLS handshake failed", 0), 0u) << outcome.error;
}

TEST_F(WebhookSenderTlsTest, HttpsConnectionsAreKeptAndNewOnesResumeTheTlsSession) {
  const auto certificate = Made("localhost", "DNS:localhost,IP:127.0.0.1");
  auto settings = Settings();
  settings.ca_file = certificate.cert;
  HttpWebhookSender sender(settings);
  auto kept =
      std::make_unique<WebhookReceiver>(std::vector<std::string>{"--mode", "healthy", "--keep-alive", "--tls-cert",
                                                                 certificate.cert, "--tls-key", certificate.key},
                                        true);
  ASSERT_NE(kept->port(), 0);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(Post(sender, HttpsUrl("localhost", *kept), "msg_tk" + std::to_string(i)).delivered);
  EXPECT_EQ(ClientPorts(*kept).size(), 1u) << "one TLS connection for all three";

  auto closing = TlsReceiver(certificate);  // Connection: close after each answer
  for (int i = 0; i < 3; ++i) {
    const auto outcome = Post(sender, HttpsUrl("localhost", *closing), "msg_tr" + std::to_string(i));
    ASSERT_TRUE(outcome.delivered) << outcome.error;
  }
  const auto received = closing->Received();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_FALSE(received[0].value("tlsSessionReused", true)) << "the first handshake is a full one";
  EXPECT_TRUE(received[1].value("tlsSessionReused", false)) << "later connections resume the session";
  EXPECT_TRUE(received[2].value("tlsSessionReused", false));
}

// Our signatures, checked by the Standard Webhooks reference library on what the receiver got; a
// body changed after signing must fail the same check (the check can fail).
TEST_F(WebhookSenderTest, SignaturesVerifyWithTheStandardWebhooksReferenceLibrary) {
  auto receiver = Receiver({"--mode", "healthy"});
  HttpWebhookSender sender(Settings());
  for (int i = 0; i < 5; ++i) {
    const auto outcome = Post(sender, receiver->Url(), "msg_verify_" + std::to_string(i));
    ASSERT_TRUE(outcome.delivered) << outcome.error;
  }
  const auto received = receiver->Received();
  ASSERT_EQ(received.size(), 5u);
  const nlohmann::json deliveries = {{"secret", kSecret}, {"requests", received}};
  const auto check = orders::testing::RunPythonTool("tests/tools/verify_webhook_signatures.py", "", deliveries.dump());
  if (check.exit_status == 77 && !orders::testing::InfraRequired()) GTEST_SKIP() << check.output;
  EXPECT_EQ(check.exit_status, 0) << check.output;
  EXPECT_NE(check.output.find("5 verified, 0 failed"), std::string::npos) << check.output;

  auto tampered = deliveries;
  tampered["requests"][2]["body"] = CloudEvent("msg_forged");
  const auto refused = orders::testing::RunPythonTool("tests/tools/verify_webhook_signatures.py", "", tampered.dump());
  EXPECT_EQ(refused.exit_status, 1) << refused.output;
  EXPECT_NE(refused.output.find("FAILED msg_verify_2"), std::string::npos) << refused.output;
}

}  // namespace
}  // namespace orders::notifier::webhooks
