// CommandApiClient against a scripted HTTP server on loopback: answers are
// relayed, connections reused, and failures become problem answers.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <orders/notifier/command_api_client.hpp>

namespace orders::notifier {
namespace {

using nlohmann::json;

// Accepts connections and answers each request it reads with the next scripted
// response (or keeps silent / closes, as scripted).
class ScriptedServer {
 public:
  struct Step {
    std::string response;  // empty: read the request and never answer
    bool close_after = false;
  };

  explicit ScriptedServer(asio::io_context& io) : acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}) { Accept(); }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void Script(Step step) { steps_.push_back(std::move(step)); }
  int connections = 0;
  std::vector<std::string> requests;

 private:
  struct Connection {
    explicit Connection(asio::ip::tcp::socket s) : socket(std::move(s)) {}
    asio::ip::tcp::socket socket;
    std::string pending;
    std::array<char, 4096> buffer{};
  };

  void Accept() {
    acceptor_.async_accept([this](asio::error_code error, asio::ip::tcp::socket socket) {
      if (error) return;
      ++connections;
      Read(std::make_shared<Connection>(std::move(socket)));
      Accept();
    });
  }
  void Read(const std::shared_ptr<Connection>& connection) {
    connection->socket.async_read_some(
        asio::buffer(connection->buffer), [this, connection](asio::error_code error, std::size_t n) {
          if (error) return;
          connection->pending.append(connection->buffer.data(), n);
          const auto head_end = connection->pending.find("\r\n\r\n");
          if (head_end == std::string::npos) return Read(connection);
          const auto length_at = connection->pending.find("Content-Length: ");
          const std::size_t length = length_at < head_end ? std::stoul(connection->pending.substr(length_at + 16)) : 0;
          if (connection->pending.size() < head_end + 4 + length) return Read(connection);
          requests.push_back(connection->pending.substr(0, head_end + 4 + length));
          connection->pending.erase(0, head_end + 4 + length);
          Step step = steps_.empty() ? Step{} : steps_.front();
          if (!steps_.empty()) steps_.erase(steps_.begin());
          if (step.response.empty()) {
            silent_.push_back(connection);
            return;
          }
          asio::write(connection->socket, asio::buffer(step.response));
          if (step.close_after) {
            connection->socket.close();
            return;
          }
          Read(connection);
        });
  }

  asio::ip::tcp::acceptor acceptor_;
  std::vector<Step> steps_;
  std::vector<std::shared_ptr<Connection>> silent_;
};

std::string JsonResponse(int status, const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra +
         "\r\n" + body;
}

class CommandApiClientTest : public ::testing::Test {
 protected:
  CommandApiClientTest() : server_(io_) {}

  std::unique_ptr<CommandApiClient> Client(CommandApiOptions options = {}, std::optional<std::uint16_t> port = {}) {
    auto endpoint = ParseHttpUrl("http://127.0.0.1:" + std::to_string(port.value_or(server_.port())) + "/base");
    return std::make_unique<CommandApiClient>(io_, *endpoint, options);
  }
  // Runs one call and the io loop until it is answered.
  CommandAnswer Call(CommandApiClient& client,
                     HttpCall call = {"PUT", "/orders/x/status", R"({"status":"shipped"})", std::nullopt},
                     const std::string& token = "tok") {
    std::optional<CommandAnswer> answer;
    client.Run(call, token, [&](CommandAnswer a) { answer = std::move(a); });
    EXPECT_FALSE(answer) << "never answered from within Run";
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!answer && std::chrono::steady_clock::now() < deadline) io_.run_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(answer);
    return answer.value_or(CommandAnswer{});
  }

  asio::io_context io_;
  ScriptedServer server_;
};

TEST_F(CommandApiClientTest, RelaysTheAnswerAndSendsTheTokenBodyAndBasePath) {
  auto client = Client();
  server_.Script({JsonResponse(409, R"({"status":409,"title":"Conflict"})")});
  const auto answer = Call(*client);
  EXPECT_EQ(answer.status, 409);
  EXPECT_EQ(answer.body, (json{{"status", 409}, {"title", "Conflict"}}));
  ASSERT_EQ(server_.requests.size(), 1u);
  const std::string& request = server_.requests[0];
  EXPECT_EQ(request.rfind("PUT /base/orders/x/status HTTP/1.1\r\n", 0), 0u) << request;
  EXPECT_NE(request.find("Authorization: Bearer tok\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\n\r\n{\"status\":\"shipped\"}"), std::string::npos);
}

TEST_F(CommandApiClientTest, APlacementsIdempotencyKeyTravelsAsItsHeader) {
  auto client = Client();
  server_.Script({JsonResponse(201, "{}")});
  EXPECT_EQ(Call(*client, {"POST", "/orders", "{}", "checkout-7781"}).status, 201);
  EXPECT_NE(server_.requests.at(0).find("\r\nIdempotency-Key: checkout-7781\r\n"), std::string::npos);
}

TEST_F(CommandApiClientTest, ReusesAKeptAliveConnection) {
  auto client = Client();
  server_.Script({JsonResponse(200, "{}")});
  server_.Script({JsonResponse(200, "{}")});
  EXPECT_EQ(Call(*client).status, 200);
  EXPECT_EQ(Call(*client).status, 200);
  EXPECT_EQ(server_.connections, 1);
}

TEST_F(CommandApiClientTest, AConnectionTheServerClosedIsNotReused) {
  auto client = Client();
  server_.Script({JsonResponse(200, "{}", "Connection: close\r\n"), true});
  server_.Script({JsonResponse(201, "{}")});
  EXPECT_EQ(Call(*client).status, 200);
  EXPECT_EQ(Call(*client).status, 201);
  EXPECT_EQ(server_.connections, 2);
}

TEST_F(CommandApiClientTest, AnUnreachableCommandApiIs503) {
  std::uint16_t closed_port;
  {
    asio::ip::tcp::acceptor probe(io_, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = probe.local_endpoint().port();
  }
  auto client = Client({}, closed_port);
  const auto answer = Call(*client);
  EXPECT_EQ(answer.status, 503);
  EXPECT_EQ(answer.body["status"], 503);
  EXPECT_TRUE(answer.body.contains("detail"));
}

TEST_F(CommandApiClientTest, NoAnswerInTimeIs504) {
  CommandApiOptions options;
  options.timeout = std::chrono::milliseconds(200);
  auto client = Client(options);
  server_.Script({""});  // reads, never answers
  const auto answer = Call(*client);
  EXPECT_EQ(answer.status, 504);
  EXPECT_EQ(answer.body["title"], "Gateway Timeout");
}

TEST_F(CommandApiClientTest, AnAnswerThatIsNotJsonIs502) {
  auto client = Client();
  server_.Script({"HTTP/1.1 500 Oops\r\nContent-Length: 5\r\n\r\nboom!"});
  const auto answer = Call(*client);
  EXPECT_EQ(answer.status, 502);
}

TEST_F(CommandApiClientTest, CallsPastTheConnectionCapWaitTheirTurn) {
  CommandApiOptions options;
  options.max_connections = 1;
  auto client = Client(options);
  server_.Script({JsonResponse(200, R"({"n":1})")});
  server_.Script({JsonResponse(200, R"({"n":2})")});
  std::vector<int> answers;
  for (int i = 0; i < 2; ++i) {
    client->Run({"POST", "/orders", "{}", std::nullopt}, "",
                [&](CommandAnswer answer) { answers.push_back(answer.body["n"]); });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (answers.size() < 2 && std::chrono::steady_clock::now() < deadline) io_.run_for(std::chrono::milliseconds(10));
  EXPECT_EQ(answers, (std::vector<int>{1, 2}));
  EXPECT_EQ(server_.connections, 1) << "one at a time, on one connection";
  EXPECT_EQ(server_.requests[0].find("Authorization"), std::string::npos) << "no token, no header";
}

}  // namespace
}  // namespace orders::notifier
