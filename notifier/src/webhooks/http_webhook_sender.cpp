#include <orders/notifier/webhooks/http_webhook_sender.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <stdexcept>

#include <orders/notifier/webhooks/answer_head.hpp>
#include <orders/notifier/webhooks/target_policy.hpp>
#include <orders/notifier/webhooks/webhook_signer.hpp>
#include <orders/platform/http_url.hpp>

#include "connection_pool.hpp"
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
  if (IsHeaderSafe(request.traceparent)) bytes.append("\r\ntraceparent: ").append(request.traceparent);
  bytes.append("\r\n\r\n").append(request.body);
  return bytes;
}

// scheme://host:port: connections and TLS sessions are shared within one origin only.
std::string OriginOf(const platform::HttpUrl& url) {
  return (url.https() ? "https://" : "http://") + url.host + ":" + std::to_string(url.port);
}

// How long a 2xx answer's body may take to arrive once its head is in, to keep the connection:
// a receiver writes both at once; one that does not only costs its connection, not a worker.
constexpr auto kBodyGrace = std::chrono::milliseconds(200);

std::string StatusError(int status) {
  if (status >= 300 && status < 400) return "HTTP " + std::to_string(status) + " (redirects are not followed)";
  return "HTTP " + std::to_string(status);
}

}  // namespace

// One request on one connection, and whether the connection is fit for another.
struct HttpWebhookSender::Exchange {
  std::string error;  // empty when a final answer came
  int http_status = 0;
  bool reused = false;              // the connection came from the pool
  bool lost_before_answer = false;  // closed or reset before any byte of an answer (not a timeout)
};

HttpWebhookSender::HttpWebhookSender(SenderSettings settings, std::function<WallClock::time_point()> now)
    : settings_(std::move(settings)), now_(std::move(now)) {
  if (settings_.max_response_bytes == 0) throw std::runtime_error("the webhook answer limit must be above zero");
  auto tls = TlsContext::Create(settings_.ca_file);
  if (!tls) throw std::runtime_error(tls.error().message);
  tls_ = std::move(*tls);
  PoolSettings pool;
  pool.max_idle_per_origin = settings_.max_idle_per_origin;
  pool.max_idle_total = settings_.max_idle_total;
  pool.idle_timeout = settings_.idle_timeout;
  pool_ = std::make_unique<ConnectionPool>(pool);
  sweeper_ = std::thread([this] { SweepIdle(); });
}

HttpWebhookSender::~HttpWebhookSender() {
  {
    std::lock_guard lock(sweep_mutex_);
    stopping_ = true;
  }
  sweep_wake_.notify_all();
  sweeper_.join();
}

void HttpWebhookSender::SweepIdle() {
  const auto period = std::clamp<std::chrono::milliseconds>(settings_.idle_timeout / 4, std::chrono::milliseconds(10),
                                                            std::chrono::milliseconds(1000));
  std::unique_lock lock(sweep_mutex_);
  while (!sweep_wake_.wait_for(lock, period, [this] { return stopping_; })) pool_->CloseIdle(Clock::now());
}

std::size_t HttpWebhookSender::IdleConnections() const { return pool_->IdleCount(); }

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
  const std::string bytes = RequestBytes(*url, request, timestamp, *signature);
  const std::string origin = OriginOf(*url);

  Exchange exchange = Attempt(request, bytes, origin, false, deadline);
  // The receiver closed a kept connection while it was idle: once more on a new one.
  if (exchange.reused && exchange.lost_before_answer) exchange = Attempt(request, bytes, origin, true, deadline);
  outcome.http_status = exchange.http_status;
  if (!exchange.error.empty()) return finish(std::move(exchange.error));
  if (exchange.http_status >= 200 && exchange.http_status < 300) return finish("");
  return finish(StatusError(exchange.http_status));
}

HttpWebhookSender::Exchange HttpWebhookSender::Attempt(const PostRequest& request, const std::string& bytes,
                                                       const std::string& origin, bool fresh, Deadline deadline) {
  Exchange exchange;
  std::unique_ptr<WebhookConnection> connection;
  if (!fresh && settings_.max_idle_per_origin > 0) connection = pool_->Take(origin, Clock::now());
  exchange.reused = connection != nullptr;
  const bool https = origin.rfind("https://", 0) == 0;
  if (!connection) {
    const auto url = platform::ParseHttpUrl(request.url);  // parsed before, so it parses
    const auto addresses = ResolveTarget(url->host, url->port, TargetPolicy{settings_.allow_private}, deadline);
    if (!addresses) {
      exchange.error = addresses.error().message;
      return exchange;
    }
    SSL_SESSION* session = https ? pool_->Session(origin) : nullptr;
    auto opened = WebhookConnection::Open(*addresses, url->host, url->ipv6_literal || IsIpv4(url->host),
                                          https ? tls_.get() : nullptr, deadline, session);
    if (session) SSL_SESSION_free(session);
    if (!opened) {
      exchange.error = opened.error().message;
      return exchange;
    }
    connection = std::move(*opened);
  }
  const auto lost = [&](const std::string& error) {
    exchange.error = error;
    exchange.lost_before_answer = error == "connection reset" || error == "connection error";
    return exchange;
  };
  if (auto sent = connection->SendAll(bytes, deadline); !sent) return lost(sent.error().message);

  AnswerHead head(settings_.max_response_bytes);
  char buffer[8192];
  while (head.state() == AnswerHead::State::kIncomplete) {
    const auto received = connection->Receive(buffer, std::min(sizeof buffer, head.Room()), deadline);
    if (!received) {
      if (!head.started()) return lost(received.error().message);
      exchange.error = received.error().message;
      return exchange;
    }
    if (*received == 0) {
      if (head.started()) {
        exchange.error = "connection closed mid-answer";
        return exchange;
      }
      exchange.error = "connection closed without an answer";
      exchange.lost_before_answer = true;
      return exchange;
    }
    head.Feed(std::string_view(buffer, *received));
  }
  switch (head.state()) {
    case AnswerHead::State::kTooLarge:
      exchange.error = "answer head larger than " + std::to_string(settings_.max_response_bytes) + " bytes";
      return exchange;
    case AnswerHead::State::kMalformed:
      exchange.error = "not an HTTP answer";
      return exchange;
    default:
      break;
  }
  exchange.http_status = head.status();
  // The session of a new connection (TLS 1.3 tickets arrive with the answer) serves the next one.
  if (https && !exchange.reused) pool_->RememberSession(origin, connection->ResumableSession());
  // Only a clean 2xx exchange leaves the connection fit for the next delivery.
  const auto body = head.ReusableBodyLength();
  if (head.status() < 200 || head.status() >= 300 || !body || *body > settings_.max_response_bytes ||
      settings_.max_idle_per_origin == 0) {
    return exchange;
  }
  const std::size_t surplus = head.Surplus().size();
  if (surplus > *body) return exchange;  // more than the answer: something is off, do not reuse
  std::size_t left = *body - surplus;
  const Deadline body_deadline = std::min(deadline, Clock::now() + kBodyGrace);
  while (left > 0) {
    const auto received = connection->Receive(buffer, std::min(sizeof buffer, left), body_deadline);
    if (!received || *received == 0) return exchange;
    left -= *received;
  }
  pool_->Give(origin, std::move(connection), Clock::now());
  return exchange;
}

}  // namespace orders::notifier::webhooks
