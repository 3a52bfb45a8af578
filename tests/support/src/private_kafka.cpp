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
#include <orders/testing/kafka_java.hpp>
#include <orders/testing/loopback.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/test_env.hpp>

namespace orders::testing {

namespace fs = std::filesystem;

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
  std::string properties = ReplaceAll(text.str(), "@KAFKA_CONTROLLER_PORT@", std::to_string(kafka->controller_port_));
  properties = ReplaceAll(properties, "@KAFKA_DATA@", kafka->directory_ + "/data");
  properties = ReplaceAll(properties, "advertised.listeners=PLAINTEXT://127.0.0.1:@KAFKA_PORT@",
                          "advertised.listeners=PLAINTEXT://127.0.0.1:" + std::to_string(kafka->advertised_port_));
  properties = ReplaceAll(properties, "@KAFKA_PORT@", std::to_string(kafka->port_));
  std::ofstream(kafka->directory_ + "/kafka.properties") << properties;
  const std::string log = kafka->directory_ + "/logs/stdout.log";
  if (RunKafkaJava(kafka->libs_, kafka->directory_,
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
  pid_ = RunKafkaJava(libs_, directory_, {"kafka.Kafka", directory_ + "/kafka.properties"},
                      directory_ + "/logs/stdout.log", false);
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
