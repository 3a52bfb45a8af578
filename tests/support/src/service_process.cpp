#include <orders/testing/service_process.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>

extern char** environ;

namespace orders::testing {

namespace {

// Asks ServiceProcess not to give a command service a state store; never passed to the process.
constexpr const char* kNoStateStore = "ORDERS_TEST_WITHOUT_STATE_STORE";

// What every test service runs with unless the test says otherwise.
std::map<std::string, std::string> WithTestDefaults(std::map<std::string, std::string> environment) {
  environment.try_emplace("PORT", "0");
  // Rate limits are on by default in the services; tests that are not about
  // them drive hundreds of requests from one address, so they run without.
  // Tests of the limits set RATE_LIMIT (and the limits) themselves.
  environment.try_emplace("RATE_LIMIT", "off");
  // The fulfilment workflow is on by default in the command service; tests
  // that are not about it move orders by hand and need them to stay where
  // they put them. Tests of the workflow set WORKFLOW=on.
  environment.try_emplace("WORKFLOW", "off");
  // The tests' database for every service (the notifier keeps webhook registrations there), and
  // webhook tables of the process's own, so no test sees another's registrations; a restart of the
  // same ServiceProcess keeps them.
  environment.try_emplace("DATABASE_URL", DatabaseUrl());
  if (!environment.count("WEBHOOK_SCHEMA")) {
    std::string schema = UniqueName("webhooks");
    for (char& c : schema) c = c == '-' ? '_' : c;
    environment["WEBHOOK_SCHEMA"] = schema;
  }
  // Webhook receivers of the tests listen on loopback, which the notifier refuses by default.
  environment.try_emplace("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true");
  return environment;
}

}  // namespace

ServiceProcess::ServiceProcess(std::string binary, std::map<std::string, std::string> environment)
    : binary_(std::move(binary)), environment_(WithTestDefaults(std::move(environment))) {}

void ServiceProcess::SetEnvironment(std::map<std::string, std::string> environment) {
  environment_ = WithTestDefaults(std::move(environment));
}

namespace {

// Services run with auth on, as in production: the test secret unless the
// test turns auth off (AUTH=off) or brings its own secret.
std::map<std::string, std::string> WithTestSecret(std::map<std::string, std::string> environment) {
  const bool own_auth = environment.count("AUTH") || environment.count("JWT_SECRET") || std::getenv("JWT_SECRET");
  if (!own_auth) environment.emplace("JWT_SECRET", kTestJwtSecret);
  return environment;
}

}  // namespace

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0) Stop();
  if (reader_.joinable()) reader_.join();
  if (!state_dir_.empty()) {
    std::error_code ignored;  // a directory left behind in /tmp is no reason to fail a test
    std::filesystem::remove_all(state_dir_, ignored);
  }
}

std::map<std::string, std::string> WithoutStateStore(std::map<std::string, std::string> environment) {
  environment[kNoStateStore] = "1";
  environment.erase("COMMAND_STATE_DIR");
  return environment;
}

std::map<std::string, std::string> ServiceProcess::WithStateStore(std::map<std::string, std::string> environment) {
  if (environment.erase(kNoStateStore) || binary_ != CommandServiceBinary()) return environment;
  if (environment.count("COMMAND_STATE_DIR")) return environment;  // the test's own (e.g. shared by a restart)
  if (state_dir_.empty()) {
    static std::atomic<int> counter{0};
    state_dir_ = (std::filesystem::temp_directory_path() /
                  ("orders-test-command-state-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                     .string();
    std::error_code ignored;
    std::filesystem::remove_all(state_dir_, ignored);  // a leftover of an earlier process with this pid
  }
  environment["COMMAND_STATE_DIR"] = state_dir_;
  return environment;
}

bool ServiceProcess::Start(std::chrono::milliseconds timeout) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return false;

  std::vector<std::string> storage = ChildEnvironment(WithTestSecret(WithStateStore(environment_)));
  std::vector<char*> envp;
  for (auto& entry : storage) envp.push_back(entry.data());
  envp.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    char* argv[] = {binary_.data(), nullptr};
    ::execve(binary_.c_str(), argv, envp.data());
    std::_Exit(127);
  }
  ::close(pipe_fds[1]);
  if (pid_ < 0) {
    ::close(pipe_fds[0]);
    return false;
  }
  reader_ = std::thread([this, fd = pipe_fds[0]] { ReadLoop(fd); });
  const bool listening = Eventually([this] { return port_ != 0 || !running(); }, timeout) && port_ != 0;
  // A process that exited (a refused start) has closed its end of the pipe: read its last lines before the
  // caller looks at them, or LogText() misses why it stopped (NotifierConfigTest failed so about 1 run in 5).
  if (!listening && !running() && reader_.joinable()) reader_.join();
  return listening;
}

void ServiceProcess::ReadLoop(int fd) {
  std::string pending;
  char buffer[4096];
  while (true) {
    const auto n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      auto json = nlohmann::json::parse(line, nullptr, false);
      std::lock_guard lock(mutex_);
      if (!json.is_discarded() && json.is_object() && json.value("msg", "") == "listening" && json.contains("port")) {
        port_ = json["port"].get<std::uint16_t>();
      }
      lines_.push_back(std::move(line));
    }
  }
  ::close(fd);
}

bool ServiceProcess::running() {
  if (pid_ <= 0) return false;
  return ::kill(pid_, 0) == 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0;
}

int ServiceProcess::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  int result = -1;
  const bool exited = Eventually(
      [&] {
        const pid_t waited = ::waitpid(pid_, &status, WNOHANG);
        return waited == pid_ || waited < 0;
      },
      timeout);
  if (!exited) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  } else {
    result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_ = -1;
  port_ = 0;
  if (reader_.joinable()) reader_.join();
  return result;
}

void ServiceProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  port_ = 0;
  if (reader_.joinable()) reader_.join();
}

std::vector<std::string> ServiceProcess::LogLines() {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::string ServiceProcess::LogText() {
  std::string text;
  for (const auto& line : LogLines()) text += line + "\n";
  return text;
}

std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; *entry; ++entry) {
    const std::string text(*entry);
    const auto equals = text.find('=');
    if (equals != std::string::npos) merged[text.substr(0, equals)] = text.substr(equals + 1);
  }
  for (const auto& [name, value] : extra) merged[name] = value;
  std::vector<std::string> entries;
  for (const auto& [name, value] : merged) entries.push_back(name + "=" + value);
  return entries;
}

std::string CommandServiceBinary() { return ORDERS_COMMAND_SERVICE_BINARY; }
std::string ProjectionServiceBinary() { return ORDERS_PROJECTION_SERVICE_BINARY; }
std::string NotifierBinary() { return ORDERS_NOTIFIER_BINARY; }

}  // namespace orders::testing
