#include <orders/testing/webhook_receiver.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <orders/testing/http_client.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/test_env.hpp>

namespace orders::testing {

WebhookReceiver::WebhookReceiver(const std::vector<std::string>& arguments, bool https)
    : https_(https), record_file_("/tmp/" + UniqueName("webhook-receiver") + ".jsonl") {
  std::vector<std::string> argv = {
      "python3", SourcePath("tests/support/webhook_receiver.py"), "--port", "0", "--record", record_file_};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return;
  pid_ = ::fork();
  if (pid_ == 0) {
    std::vector<char*> raw;
    for (auto& argument : argv) raw.push_back(argument.data());
    raw.push_back(nullptr);
    ::dup2(out[1], STDOUT_FILENO);
    ::execv("/usr/bin/python3", raw.data());
    ::_exit(127);
  }
  ::close(out[1]);
  // The receiver prints "listening <port>" once it accepts connections.
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

WebhookReceiver::~WebhookReceiver() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::remove(record_file_.c_str());
}

std::string WebhookReceiver::Url(const std::string& path) const {
  return std::string(https_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<nlohmann::json> WebhookReceiver::Received() const {
  std::vector<nlohmann::json> received;
  std::ifstream in(record_file_);
  std::string line;
  while (std::getline(in, line)) {
    auto entry = nlohmann::json::parse(line, nullptr, false);
    if (!entry.is_discarded()) received.push_back(std::move(entry));
  }
  return received;
}

int WebhookReceiver::CountOf(const std::string& webhook_id) const {
  int count = 0;
  for (const auto& request : Received()) {
    if (request["headers"].value("webhook-id", "") == webhook_id) ++count;
  }
  return count;
}

void WebhookReceiver::SetMode(const nlohmann::json& mode) {
  HttpRequest(port_, "POST", "/_control/mode", mode.dump(), {{"Content-Type", "application/json"}});
}

}  // namespace orders::testing
