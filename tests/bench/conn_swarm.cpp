// orders_conn_swarm: many mostly idle WebSocket clients, for the `connections` phase of
// ./infra/bench.sh. One process holds a share of the connections; several run side by side,
// each binding its sockets to its own loopback source addresses so ephemeral ports are not the
// limit. ./infra/bench.sh steps them all through the phase by creating files in --control DIR:
//
//   --port P --clients N --first K --sources 127.0.0.2,127.0.0.3 --control DIR --label NAME
//   [--json FILE] [--mode notifier|node] [--sample-every 50] [--storm-window 5] [--concurrency 256]
//   [--record DIR]
//
//   ramp      every client connects and subscribes to its own customer
//             ({"type":"subscribe","customerId":"conn-<K+i>"}); done when its snapshot came. An
//             upgrade answered 503 (the notifier's connection limit) is retried every second;
//             writes DIR/NAME.ramped ("<held> <refused>") once every client is held or refused.
//   fanout    (DIR/fanout) the refused clients stop retrying, every held client subscribes to
//             `all`; DIR/NAME.fanout once their snapshots came; from then on every update whose
//             "reason" is "t=<CLOCK_REALTIME ns>" is timed (the event feeder stamps them).
//   fanout-stop (DIR/fanout-stop) timing ends; all clients but the sample (every --sample-every'th)
//             leave `all`; the sample follows the order of the latest update it saw.
//   storm     (DIR/storm) every client drops its connection at once (abortive close) and
//             reconnects after a random delay within --storm-window seconds: customer again, and
//             the sample {"type":"subscribe","orderId":<its order>,"sinceVersion":<last seen>}
//             and `all`. Resumed once its subscriptions are answered; timed from its reconnect
//             and from the drop. The sample also counts whether the versions of its order it
//             receives continue exactly where it left (no gap, nothing twice) for the rest of
//             the phase. Writes DIR/NAME.resumed ("<resumed> <dropped>") once every dropped
//             client is back (or after --storm-window + 60 s, when it gives up).
//   finish    (DIR/finish; ./infra/bench.sh stops the event feed first, so every order has
//             reached its last version) the report is written and the process exits.
//
// With --record DIR every sample client's received messages, from its first subscribe to the
// finish, go to DIR/conn-<K+i>.jsonl in the invariant checker's subscriber format
// (tests/invariants/include/orders/invariants/sources.hpp): a header naming the order it resumed
// by id (the one it followed into the storm), then one message per line, with
// {"type":"_reconnected"} where it came back. ./infra/bench.sh runs orders_check_invariants on
// them against the topic: that, not the counts above, is the proof of no gap and nothing twice.
//
// With --mode node (the Node.js `ws` baseline, which answers nothing) a client is held once its
// upgrade is answered and its subscribe sent; the process waits for DIR/stop and exits.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <orders/notifier/frame_codec.hpp>

#include "lib/bench_args.hpp"
#include "lib/bench_clock.hpp"
#include "lib/latency_histogram.hpp"

namespace orders::bench {
namespace {

using Clock = std::chrono::steady_clock;
using notifier::Opcode;

constexpr std::array<std::uint8_t, 4> kMask = {0x12, 0x34, 0x56, 0x78};

enum class Phase { kRamp, kFanout, kQuiet, kStorm, kFinishing, kDone };

struct Client {
  enum class State { kWaiting, kConnecting, kHandshake, kSubscribing, kHeld, kRefused };
  State state = State::kWaiting;
  int fd = -1;
  std::size_t customer = 0;
  bool sample = false;
  Clock::time_point retry_at{};
  Clock::time_point attempt_started{};
  std::string handshake;  // the answer's bytes until the blank line
  notifier::FrameParser parser{notifier::FrameLimits{1 << 24, 1 << 24}, /*expect_masked=*/false};
  int answers_awaited = 0;  // list snapshots (their last page) still to come
  // The sample's order: the latest one it saw an update of, and its last version.
  std::string order;
  std::int64_t version = 0;
  bool finished = false;  // the order reached delivered or cancelled
  bool refused_once = false;
  bool resuming = false;              // reconnected after the storm, subscriptions not all answered yet
  bool held_before = false;           // a later 101 is a reconnect
  std::vector<std::string> received;  // with --record, a sample client's messages (and markers)
};

bool Exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

std::string Field(const std::string& text, const std::string& name) {
  const std::string key = "\"" + name + "\":\"";
  const auto at = text.find(key);
  if (at == std::string::npos) return {};
  const auto end = text.find('"', at + key.size());
  return end == std::string::npos ? std::string() : text.substr(at + key.size(), end - at - key.size());
}

class ConnSwarm {
 public:
  explicit ConnSwarm(const Args& args)
      : port_(static_cast<std::uint16_t>(args.Number("port", 8082))),
        path_(args.Get("path", "/ws")),
        control_(args.Get("control", ".")),
        label_(args.Get("label", "conn")),
        node_(args.Get("mode", "notifier") == "node"),
        storm_window_(args.Number("storm-window", 5)),
        concurrency_(static_cast<std::size_t>(args.Number("concurrency", 256))),
        record_(args.Get("record", "")),
        random_(static_cast<unsigned>(args.Number("first", 0)) + 17) {
    std::stringstream sources(args.Get("sources", "127.0.0.1"));
    for (std::string source; std::getline(sources, source, ',');) {
      in_addr address{};
      if (inet_pton(AF_INET, source.c_str(), &address) == 1) sources_.push_back(address);
    }
    if (sources_.empty()) sources_.push_back(in_addr{htonl(INADDR_LOOPBACK)});
    const auto first = static_cast<std::size_t>(args.Number("first", 0));
    const auto sample_every = static_cast<std::size_t>(args.Number("sample-every", 50));
    clients_.resize(static_cast<std::size_t>(args.Number("clients", 100)));
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      clients_[i].customer = first + i;
      clients_[i].sample = sample_every > 0 && (first + i) % sample_every == 0;
    }
    const char* token = std::getenv("ORDERS_TOKEN");
    authorization_ = token && *token ? "Authorization: Bearer " + std::string(token) + "\r\n" : "";
    epoll_ = epoll_create1(0);
  }

  int Run() {
    ramp_started_ = Clock::now();
    while (phase_ != Phase::kDone) {
      StartAttempts();
      Poll(20);
      Advance();
    }
    return 0;
  }

  nlohmann::json Report() const {
    std::size_t checked = 0;
    for (const auto& client : clients_) checked += client.sample && !client.order.empty() ? 1 : 0;
    return {{"label", label_},
            {"mode", node_ ? "node" : "notifier"},
            {"clients", clients_.size()},
            {"held", held_at_ramp_},
            {"refused", refused_at_ramp_},
            {"refusals", refusals_},
            {"ramp_seconds", ramp_seconds_},
            {"fanout", latency_.Summary()},
            {"fanout_buckets", latency_.Sparse()},
            {"storm_dropped", storm_dropped_},
            {"storm_resumed", storm_resumed_},
            {"closed_by_server", closed_by_server_},
            {"storm_failed_attempts", storm_failures_},
            {"storm_seconds_to_all_resumed", storm_all_resumed_seconds_},
            {"resume_from_reconnect", from_reconnect_.Summary()},
            {"resume_from_reconnect_buckets", from_reconnect_.Sparse()},
            {"resume_from_drop", from_drop_.Summary()},
            {"resume_from_drop_buckets", from_drop_.Sparse()},
            {"sample_clients", checked},
            {"sample_events_after_resume", sample_events_},
            {"sample_gaps", gaps_},
            {"sample_duplicates", duplicates_},
            {"sample_not_recovered", unrecovered_}};
  }

 private:
  std::string ControlFile(const std::string& name) const { return control_ + "/" + name; }
  void Signal(const std::string& suffix, const std::string& text) const {
    const std::string path = ControlFile(label_ + "." + suffix);
    std::ofstream(path + ".tmp") << text << "\n";
    std::rename((path + ".tmp").c_str(), path.c_str());
  }

  // Opens connections for waiting clients whose time has come, at most `concurrency_` at once.
  void StartAttempts() {
    const auto now = Clock::now();
    for (std::size_t i = next_waiting_scan_; i < clients_.size() && in_progress_ < concurrency_; ++i) {
      auto& client = clients_[i];
      if (client.state != Client::State::kWaiting || client.retry_at > now) continue;
      Connect(i);
    }
    next_waiting_scan_ = 0;
  }

  void Connect(std::size_t i) {
    auto& client = clients_[i];
    client.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (client.fd < 0) {
      Retry(client, std::chrono::milliseconds(200));
      return;
    }
    int one = 1;
    ::setsockopt(client.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(client.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in source{};
    source.sin_family = AF_INET;
    source.sin_addr = sources_[i % sources_.size()];
    ::bind(client.fd, reinterpret_cast<sockaddr*>(&source), sizeof source);
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_port = htons(port_);
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    client.attempt_started = Clock::now();
    const int status = ::connect(client.fd, reinterpret_cast<sockaddr*>(&target), sizeof target);
    if (status != 0 && errno != EINPROGRESS) {
      Drop(client);
      Retry(client, std::chrono::milliseconds(200));
      return;
    }
    client.state = Client::State::kConnecting;
    client.handshake.clear();
    client.parser = notifier::FrameParser{notifier::FrameLimits{1 << 24, 1 << 24}, false};
    ++in_progress_;
    epoll_event event{};
    event.events = EPOLLOUT | EPOLLIN;
    event.data.u64 = i;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, client.fd, &event);
  }

  void Retry(Client& client, std::chrono::milliseconds after) {
    client.state = Client::State::kWaiting;
    client.retry_at = Clock::now() + after;
  }

  // Closes the socket; abortive (RST), so neither side keeps it in TIME_WAIT.
  void Drop(Client& client) {
    if (client.fd < 0) return;
    linger abort{1, 0};
    ::setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    epoll_ctl(epoll_, EPOLL_CTL_DEL, client.fd, nullptr);
    ::close(client.fd);
    client.fd = -1;
    if (client.state == Client::State::kConnecting || client.state == Client::State::kHandshake ||
        client.state == Client::State::kSubscribing) {
      --in_progress_;
    }
  }

  void Send(Client& client, const std::string& text) {
    const std::string frame = notifier::EncodeFrame(Opcode::kText, text, true, kMask);
    SendRaw(client, frame);
  }
  void SendRaw(Client& client, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(client.fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        if (n < 0 && errno == EAGAIN) continue;  // small client messages: a socket buffer is never full for long
        return;
      }
      sent += static_cast<std::size_t>(n);
    }
  }

  std::string Subscribe(const std::string& selector) const { return R"({"type":"subscribe",)" + selector + "}"; }
  std::string CustomerSelector(const Client& client) const {
    return R"("customerId":"conn-)" + std::to_string(client.customer) + "\"";
  }

  void OnWritable(std::size_t i) {
    auto& client = clients_[i];
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(client.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      Failed(client);
      return;
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = i;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, client.fd, &event);
    client.state = Client::State::kHandshake;
    SendRaw(client, "GET " + path_ +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
                        authorization_ + "\r\n");
  }

  // An attempt that did not get to a held connection: retried.
  void Failed(Client& client) {
    if (phase_ == Phase::kStorm) ++storm_failures_;
    Drop(client);
    Retry(client, std::chrono::milliseconds(200));
  }

  void OnReadable(std::size_t i) {
    auto& client = clients_[i];
    char buffer[65536];
    while (client.fd >= 0) {
      const ssize_t got = ::recv(client.fd, buffer, sizeof buffer, 0);
      if (got == 0 || (got < 0 && errno != EAGAIN)) {
        if (client.state == Client::State::kHeld) {
          ++closed_by_server_;
          Note(client, R"({"type":"_closed","code":0})");
          Drop(client);
          client.state = Client::State::kWaiting;  // reconnects like a real client
          client.retry_at = Clock::now() + std::chrono::seconds(1);
        } else {
          Failed(client);
        }
        return;
      }
      if (got < 0) return;
      std::string_view bytes(buffer, static_cast<std::size_t>(got));
      if (client.state == Client::State::kHandshake) {
        // Byte by byte up to the blank line; what follows is frames.
        std::size_t used = 0;
        while (used < bytes.size() && client.handshake.find("\r\n\r\n") == std::string::npos) {
          client.handshake.push_back(bytes[used++]);
        }
        if (client.handshake.find("\r\n\r\n") == std::string::npos) continue;
        bytes.remove_prefix(used);
        if (!Upgraded(i)) return;
      }
      std::vector<notifier::WsMessage> messages;
      if (client.parser.Feed(bytes, messages)) {
        Failed(client);
        return;
      }
      for (auto& message : messages) OnMessage(client, message);
    }
  }

  // The handshake answer arrived: 101 (subscribe), 503 (the limit: refused, retried) or another failure.
  bool Upgraded(std::size_t i) {
    auto& client = clients_[i];
    const std::string status = client.handshake.substr(0, 12);
    std::string().swap(client.handshake);
    if (status == "HTTP/1.1 503") {
      ++refusals_;
      Drop(client);
      if (phase_ == Phase::kRamp) {
        client.refused_once = true;
        client.state = Client::State::kRefused;
        client.retry_at = Clock::now() + std::chrono::seconds(1);
      } else {
        Retry(client, std::chrono::seconds(1));
      }
      return false;
    }
    if (status != "HTTP/1.1 101") {
      Failed(client);
      return false;
    }
    if (node_) {
      Send(client, Subscribe(CustomerSelector(client)));
      Held(client);
      return true;
    }
    if (client.held_before) Note(client, R"({"type":"_reconnected"})");
    client.state = Client::State::kSubscribing;
    client.answers_awaited = 1;
    if (client.resuming && client.sample) {
      if (!client.order.empty()) {
        Send(client,
             Subscribe(R"("orderId":")" + client.order + R"(","sinceVersion":)" + std::to_string(client.version)));
      }
      Send(client, Subscribe(CustomerSelector(client)));
      Send(client, Subscribe(R"("all":true)"));
      client.answers_awaited = 2;
      return true;
    }
    Send(client, Subscribe(CustomerSelector(client)));
    return true;
  }

  void Held(Client& client) {
    if (client.state != Client::State::kHeld) --in_progress_;
    client.state = Client::State::kHeld;
    client.held_before = true;
    if (client.resuming) {
      client.resuming = false;
      const auto now = Clock::now();
      from_reconnect_.Record(
          std::chrono::duration_cast<std::chrono::microseconds>(now - client.attempt_started).count());
      from_drop_.Record(std::chrono::duration_cast<std::chrono::microseconds>(now - storm_at_).count());
      ++storm_resumed_;
    }
  }

  void OnMessage(Client& client, const notifier::WsMessage& message) {
    if (message.opcode == Opcode::kPing) {
      SendRaw(client, notifier::EncodeFrame(Opcode::kPong, message.payload, true, kMask));
      return;
    }
    if (message.opcode != Opcode::kText) return;
    const std::string& text = message.payload;
    Note(client, text);
    if (text.find(R"("type":"snapshot")") != std::string::npos) {
      if (text.find(R"("orders":[)") == std::string::npos) {
        // An order's own snapshot: the resume could not replay what the client missed.
        if (client.sample && client.resuming) ++unrecovered_;
        return;
      }
      if (text.find(R"("last":true)") != std::string::npos && --client.answers_awaited <= 0 &&
          client.state == Client::State::kSubscribing) {
        Held(client);
      }
      return;
    }
    if (text.find(R"("type":"update")") == std::string::npos) return;
    if (measuring_) {
      const auto at = text.find(R"("reason":"t=)");
      if (at != std::string::npos) {
        const long long stamp = std::strtoll(text.c_str() + at + 12, nullptr, 10);
        latency_.Record((RealtimeNanos() - stamp) / 1000);
      }
    }
    if (client.sample) Track(client, text);
  }

  // With --record, keeps what a sample client received (the notifier's messages are single-line JSON).
  void Note(Client& client, const std::string& text) {
    if (!record_.empty() && client.sample && phase_ != Phase::kDone) client.received.push_back(text);
  }

  // The sample follows one order's versions: before the storm the latest order it saw an update
  // of (one not delivered yet), after it that order, checking the versions continue.
  void Track(Client& client, const std::string& text) {
    const auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.contains("orderId") || !parsed.contains("version")) return;
    const std::string order = parsed["orderId"];
    const std::int64_t version = parsed["version"];
    const bool finished = parsed.value("status", "") == "delivered" || parsed.value("status", "") == "cancelled";
    if (!stormed_) {
      if (order == client.order || client.order.empty() || client.finished) {
        client.order = order;
        client.version = version;
        client.finished = finished;
      }
      return;
    }
    if (order != client.order) return;
    ++sample_events_;
    if (version == client.version + 1) {
      client.version = version;
    } else if (version <= client.version) {
      ++duplicates_;
    } else {
      ++gaps_;
      client.version = version;
    }
  }

  void Poll(int timeout_ms) {
    epoll_event events[1024];
    const int n = epoll_wait(epoll_, events, 1024, timeout_ms);
    for (int k = 0; k < n; ++k) {
      const std::size_t i = events[k].data.u64;
      auto& client = clients_[i];
      if (client.fd < 0) continue;
      if (client.state == Client::State::kConnecting) {
        if (events[k].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) OnWritable(i);
        continue;
      }
      OnReadable(i);
    }
  }

  std::size_t Count(Client::State state) const {
    std::size_t count = 0;
    for (const auto& client : clients_) count += client.state == state ? 1 : 0;
    return count;
  }

  void Advance() {
    const auto now = Clock::now();
    if (now - last_check_ < std::chrono::milliseconds(50)) return;
    last_check_ = now;
    switch (phase_) {
      case Phase::kRamp: {
        // Refused clients try again each second until the fan-out starts.
        for (auto& client : clients_) {
          if (client.state == Client::State::kRefused && client.retry_at <= now) client.state = Client::State::kWaiting;
        }
        const std::size_t held = Count(Client::State::kHeld);
        std::size_t refused = 0;
        for (const auto& client : clients_) refused += client.state != Client::State::kHeld && client.refused_once;
        if (!ramp_signalled_ && held + refused == clients_.size()) {
          ramp_signalled_ = true;
          ramp_seconds_ = std::chrono::duration<double>(now - ramp_started_).count();
          held_at_ramp_ = held;
          refused_at_ramp_ = clients_.size() - held;
          Signal("ramped", std::to_string(held) + " " + std::to_string(refused_at_ramp_));
        }
        if (ramp_signalled_ && Exists(ControlFile(node_ ? "stop" : "fanout"))) {
          if (node_) {
            phase_ = Phase::kDone;
            return;
          }
          for (auto& client : clients_) {
            if (client.state != Client::State::kHeld) {
              Drop(client);
              client.state = Client::State::kRefused;  // gives up
              client.retry_at = Clock::time_point::max();
              continue;
            }
            client.state = Client::State::kSubscribing;
            ++in_progress_;
            client.answers_awaited = 1;
            Send(client, Subscribe(R"("all":true)"));
          }
          phase_ = Phase::kFanout;
        }
        return;
      }
      case Phase::kFanout:
        if (!measuring_ && Count(Client::State::kSubscribing) == 0) {
          measuring_ = true;
          Signal("fanout", "subscribed");
        }
        if (measuring_ && Exists(ControlFile("fanout-stop"))) {
          measuring_ = false;
          for (auto& client : clients_) {
            if (client.state == Client::State::kHeld && !client.sample) {
              Send(client, R"({"type":"unsubscribe","all":true})");
            }
          }
          phase_ = Phase::kQuiet;
        }
        return;
      case Phase::kQuiet:
        if (Exists(ControlFile("storm"))) StartStorm();
        return;
      case Phase::kStorm: {
        const bool resumed = storm_resumed_ == storm_dropped_;
        if (resumed) storm_all_resumed_seconds_ = std::chrono::duration<double>(now - storm_at_).count();
        const bool gave_up = now - storm_at_ > std::chrono::seconds(static_cast<int>(storm_window_) + 60);
        if (resumed || gave_up) {
          Signal("resumed", std::to_string(storm_resumed_) + " " + std::to_string(storm_dropped_));
          finishing_since_ = now;
          phase_ = Phase::kFinishing;
        }
        return;
      }
      case Phase::kFinishing:
        // The script stops the feed, lets the last events arrive, then says finish; if it died,
        // give up after two minutes rather than hold thousands of sockets forever.
        if (Exists(ControlFile("finish")) || now - finishing_since_ > std::chrono::minutes(2)) {
          WriteRecordings();
          phase_ = Phase::kDone;
        }
        return;
      case Phase::kDone:
        return;
    }
  }

  // One file per sample client that was ever held (a refused one never subscribed). `followed` is
  // the order it resumed by id after the storm; without one (it saw no update before the storm)
  // it is written anyway, and the checker reports a subscriber that followed nothing.
  void WriteRecordings() const {
    if (record_.empty()) return;
    for (const auto& client : clients_) {
      if (!client.sample || !client.held_before) continue;
      const std::string name = "conn-" + std::to_string(client.customer);
      std::ofstream out(record_ + "/" + name + ".jsonl");
      nlohmann::json followed = nlohmann::json::array();
      if (!client.order.empty()) followed.push_back(client.order);
      // A resume must really resume: the notifier's cache holds every event of this short run.
      out << nlohmann::json{{"subscriber", name},
                            {"followed", followed},
                            {"expectComplete", true},
                            {"customerId", ""},
                            {"allowResync", false}}
                 .dump()
          << "\n";
      for (const auto& text : client.received) out << text << "\n";
    }
  }

  void StartStorm() {
    stormed_ = true;
    storm_at_ = Clock::now();
    std::uniform_real_distribution<double> delay(0, storm_window_);
    for (auto& client : clients_) {
      if (client.state != Client::State::kHeld) continue;
      Drop(client);
      ++storm_dropped_;
      client.resuming = true;
      client.state = Client::State::kWaiting;
      client.retry_at =
          storm_at_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(delay(random_)));
    }
    phase_ = Phase::kStorm;
  }

  std::uint16_t port_;
  std::string path_;
  std::string control_;
  std::string label_;
  bool node_;
  double storm_window_;
  std::size_t concurrency_;
  std::string record_;  // empty: nothing recorded
  std::mt19937 random_;
  std::vector<in_addr> sources_;
  std::string authorization_;
  int epoll_ = -1;
  std::vector<Client> clients_;
  std::size_t in_progress_ = 0;
  std::size_t next_waiting_scan_ = 0;
  Phase phase_ = Phase::kRamp;
  Clock::time_point ramp_started_, last_check_, storm_at_, finishing_since_;
  bool ramp_signalled_ = false;
  double ramp_seconds_ = 0;
  std::size_t held_at_ramp_ = 0, refused_at_ramp_ = 0, refusals_ = 0, closed_by_server_ = 0;
  bool measuring_ = false;
  LatencyHistogram latency_;
  bool stormed_ = false;
  std::size_t storm_dropped_ = 0, storm_resumed_ = 0, storm_failures_ = 0;
  double storm_all_resumed_seconds_ = 0;
  LatencyHistogram from_reconnect_, from_drop_;
  std::size_t gaps_ = 0, duplicates_ = 0, unrecovered_ = 0, sample_events_ = 0;
};

}  // namespace
}  // namespace orders::bench

int main(int argc, char** argv) {
  const orders::bench::Args args(argc, argv);
  orders::bench::ConnSwarm swarm(args);
  swarm.Run();
  orders::bench::Emit(swarm.Report(), args);
  return 0;
}
