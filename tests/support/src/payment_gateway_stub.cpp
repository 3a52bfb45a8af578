#include <orders/testing/payment_gateway_stub.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <orders/testing/http_client.hpp>
#include <orders/testing/run_tool.hpp>

namespace orders::testing {

PaymentGatewayStub::PaymentGatewayStub() {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return;
  const std::string script = SourcePath("tests/support/payment_gateway_stub.py");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::execl("/usr/bin/python3", "python3", script.c_str(), "--port", "0", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  // The stub prints "listening <port>" once it accepts connections.
  std::string line;
  char c = 0;
  while (line.find('\n') == std::string::npos) {
    pollfd readable{out[0], POLLIN, 0};
    if (::poll(&readable, 1, 10000) != 1 || ::read(out[0], &c, 1) != 1) break;
    line += c;
  }
  ::close(out[0]);
  if (line.rfind("listening ", 0) == 0) port_ = static_cast<std::uint16_t>(std::stoi(line.substr(10)));
}

PaymentGatewayStub::~PaymentGatewayStub() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void PaymentGatewayStub::Script(const nlohmann::json& script) {
  HttpRequest(port_, "POST", "/_control/script", script.dump(), {{"Content-Type", "application/json"}});
}

void PaymentGatewayStub::Reset() { HttpRequest(port_, "POST", "/_control/reset", "{}"); }

nlohmann::json PaymentGatewayStub::Calls() {
  const auto response = HttpRequest(port_, "GET", "/_control/calls");
  return nlohmann::json::parse(response.body, nullptr, false);
}

}  // namespace orders::testing
