#include <orders/notifier/webhooks/http_webhook_sender.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <stdexcept>

#include <orders/notifier/webhooks/answer_head.hpp>
#include <orders/notifier/webhooks/target_policy.hpp>
#include <orders/notifier/webhooks/webhook_signer.hpp>
#include <orders/platform/http_url.hpp>

#include "webhook_connection.hpp"

namespace orders::notifier::webhooks {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kUserAgent = "orders-notifier-webhooks/1";

// A header value we put on the wire ourselves: printable ASCII only, so an id from the event log
// can never end a header early.
bool IsHeaderSafe(std::string_view value) {
  return !value.empty() &&
         std::all_of(value.begin(), value.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

bool IsIpv4(const std::string& host) {
  in_addr address{};
  return ::inet_pton(AF_INET, host.c_str(), &address) == 1;
}

std::string RequestBytes(const platform::HttpUrl& url, const PostRequest& request, std::int64_t timestamp,
                         const std::string& signature) {
  std::string bytes;
  bytes.reserve(512 + request.body.size());
  bytes.append("POST ").append(url.Target()).append(" HTTP/1.1\r\nHost: ").append(url.HostHeader());
  bytes.append("\r\nUser-Agent: ").append(kUserAgent);
  bytes.append("\r\nContent-Type: application/json\r\nContent-Length: ").append(std::to_string(request.body.size()));
  bytes.append("\r\nwebhook-id: ").append(request.message_id);
  bytes.append("\r\nwebhook-timestamp: ").append(std::to_string(timestamp));
  bytes.append("\r\nwebhook-signature: ").append(signature);
  bytes.append("\r\nConnection: close\r\n\r\n").append(request.body);
  return bytes;
}

std::string StatusError(int status) {
  if (status >= 300 && status < 400) return "HTTP " + std::to_string(status) + " (redirects are not followed)";
  return "HTTP " + std::to_string(status);
}

}  // namespace

HttpWebhookSender::HttpWebhookSender(SenderSettings settings, std::function<WallClock::time_point()> now)
    : settings_(std::move(settings)), now_(std::move(now)) {
  if (settings_.max_response_bytes == 0) throw std::runtime_error("the webhook answer limit must be above zero");
  auto tls = TlsContext::Create(settings_.ca_file);
  if (!tls) throw std::runtime_error(tls.error().message);
  tls_ = std::move(*tls);
}

HttpWebhookSender::~HttpWebhookSender() = default;

PostOutcome HttpWebhookSender::Post(const PostRequest& request) {
  const auto started = Clock::now();
  const Deadline deadline = started + settings_.timeout;
  PostOutcome outcome;
  const auto finish = [&](std::string error) {
    outcome.error = std::move(error);
    outcome.delivered = outcome.error.empty();
    outcome.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    return outcome;
  };

  const auto url = platform::ParseHttpUrl(request.url);
  if (!url) return finish("invalid URL: " + url.error().message);
  if (!IsHeaderSafe(request.message_id)) return finish("the message id cannot be sent as a header");
  const std::int64_t timestamp = std::chrono::duration_cast<std::chrono::seconds>(now_().time_since_epoch()).count();
  const auto signature = SignWebhook(request.secret, request.message_id, timestamp, request.body);
  if (!signature) return finish(signature.error().message);

  const auto addresses = ResolveTarget(url->host, url->port, TargetPolicy{settings_.allow_private}, deadline);
  if (!addresses) return finish(addresses.error().message);
  auto connection = WebhookConnection::Open(*addresses, url->host, url->ipv6_literal || IsIpv4(url->host),
                                            url->https() ? tls_.get() : nullptr, deadline);
  if (!connection) return finish(connection.error().message);
  if (auto sent = (*connection)->SendAll(RequestBytes(*url, request, timestamp, *signature), deadline); !sent) {
    return finish(sent.error().message);
  }

  AnswerHead head(settings_.max_response_bytes);
  char buffer[8192];
  while (head.state() == AnswerHead::State::kIncomplete) {
    const auto received = (*connection)->Receive(buffer, std::min(sizeof buffer, head.Room()), deadline);
    if (!received) return finish(received.error().message);
    if (*received == 0) {
      return finish(head.started() ? "connection closed mid-answer" : "connection closed without an answer");
    }
    head.Feed(std::string_view(buffer, *received));
  }
  switch (head.state()) {
    case AnswerHead::State::kTooLarge:
      return finish("answer head larger than " + std::to_string(settings_.max_response_bytes) + " bytes");
    case AnswerHead::State::kMalformed:
      return finish("not an HTTP answer");
    default:
      break;
  }
  outcome.http_status = head.status();
  if (head.status() >= 200 && head.status() < 300) return finish("");
  return finish(StatusError(head.status()));
}

}  // namespace orders::notifier::webhooks
