#include <orders/testing/private_kafka.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <orders/testing/eventually.hpp>
#include <orders/testing/loopback.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/test_env.hpp>

namespace orders::testing {
namespace {

namespace fs = std::filesystem;

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string KafkaLibs() {
  if (const char* libs = std::getenv("ORDERS_KAFKA_LIBS")) return libs;
  if (const char* pid_file = std::getenv("ORDERS_KAFKA_PID_FILE")) {
    const auto candidate = fs::path(pid_file).parent_path() / "kafka-libs";
    if (fs::exists(candidate)) return candidate.string();
  }
  return SourcePath(".local/kafka-libs");
}

// Runs java with the broker's class path; waits when `wait` (returns the exit status), else returns the pid.
pid_t Java(const std::string& libs, const std::string& directory, const std::vector<std::string>& arguments,
           const std::string& log, bool wait) {
  std::vector<std::string> argv = {"java",
                                   "-Xms128m",
                                   "-Xmx384m",
                                   "-XX:+UseG1GC",
                                   "-Djava.awt.headless=true",
                                   "-Dkafka.logs.dir=" + directory + "/logs",
                                   "-Dlog4j2.configurationFile=" + SourcePath("infra/local/log4j2.properties"),
                                   "-cp",
                                   libs + "/*"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    ::execvp("java", args.data());
    std::_Exit(127);
  }
  if (!wait) return pid;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace

std::unique_ptr<PrivateKafka> PrivateKafka::Create(std::string& error, std::optional<std::uint16_t> port,
                                                   std::optional<std::uint16_t> advertise_port) {
  std::unique_ptr<PrivateKafka> kafka(new PrivateKafka());
  kafka->libs_ = KafkaLibs();
  if (!fs::exists(kafka->libs_)) {
    error = "no Kafka jars at " + kafka->libs_ + " (run ./infra/test.sh once)";
    return nullptr;
  }
  kafka->directory_ = (fs::temp_directory_path() / UniqueName("private-kafka")).string();
  fs::create_directories(kafka->directory_ + "/logs");
  kafka->port_ = port.value_or(FreePort());
  kafka->controller_port_ = FreePort();
  kafka->advertised_port_ = advertise_port.value_or(kafka->port_);
  std::ifstream in(SourcePath("infra/local/kafka.properties.in"));
  std::stringstream text;
  text << in.rdbuf();
  std::string properties = Replace(text.str(), "@KAFKA_CONTROLLER_PORT@", std::to_string(kafka->controller_port_));
  properties = Replace(properties, "@KAFKA_DATA@", kafka->directory_ + "/data");
  properties = Replace(properties, "advertised.listeners=PLAINTEXT://127.0.0.1:@KAFKA_PORT@",
                       "advertised.listeners=PLAINTEXT://127.0.0.1:" + std::to_string(kafka->advertised_port_));
  properties = Replace(properties, "@KAFKA_PORT@", std::to_string(kafka->port_));
  std::ofstream(kafka->directory_ + "/kafka.properties") << properties;
  const std::string log = kafka->directory_ + "/logs/stdout.log";
  if (Java(kafka->libs_, kafka->directory_,
           {"kafka.tools.StorageTool", "format", "-t", "q1Sh-9_ISia_zwGINzRvyQ", "-c",
            kafka->directory_ + "/kafka.properties"},
           log, true) != 0) {
    error = "Kafka storage format failed:\n" + kafka->LogText();
    return nullptr;
  }
  if (!kafka->Start(error)) return nullptr;
  return kafka;
}

PrivateKafka::~PrivateKafka() {
  Kill();
  std::error_code ignored;
  fs::remove_all(directory_, ignored);
}

std::string PrivateKafka::Brokers() const { return "127.0.0.1:" + std::to_string(advertised_port_); }

bool PrivateKafka::Start(std::string& error) {
  pid_ = Java(libs_, directory_, {"kafka.Kafka", directory_ + "/kafka.properties"}, directory_ + "/logs/stdout.log",
              false);
  if (!Eventually([this] { return LoopbackPortOpen(port_); }, std::chrono::seconds(60),
                  std::chrono::milliseconds(100))) {
    error = "the private Kafka did not start:\n" + LogText();
    return false;
  }
  return true;
}

void PrivateKafka::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string PrivateKafka::LogText() const {
  std::ifstream in(directory_ + "/logs/stdout.log");
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() > 4000 ? all.substr(all.size() - 4000) : all;
}

}  // namespace orders::testing
