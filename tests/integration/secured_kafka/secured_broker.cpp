#include "secured_broker.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include <orders/testing/eventually.hpp>
#include <orders/testing/kafka_java.hpp>
#include <orders/testing/loopback.hpp>
#include <orders/testing/test_env.hpp>

namespace orders::testing {
namespace {

namespace fs = std::filesystem;

std::string RandomSecret() {
  std::random_device random;
  std::string secret;
  for (int i = 0; i < 24; ++i) secret += "abcdefghijklmnopqrstuvwxyz0123456789"[random() % 36];
  return secret;
}

// $ORDERS_KAFKA_3_9_LIBS (infra/test.sh exports it), else kafka-3.9-libs beside the main broker's jars,
// where orders::kafka_3_9_jars (infra/lib/common.sh) puts them.
std::string Kafka39Libs() {
  if (const char* libs = std::getenv("ORDERS_KAFKA_3_9_LIBS")) return libs;
  fs::path main = KafkaLibs();
  if (main.filename().empty()) main = main.parent_path();  // a trailing slash
  return (main.parent_path() / "kafka-3.9-libs").string();
}

}  // namespace

// The CA signs a broker certificate whose subjectAltName is the address
// clients dial, so librdkafka's default hostname verification holds.
bool SecuredBroker::MakeCertificates(std::string& error) {
  const std::string d = directory_;
  std::ofstream(d + "/san.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  const std::string script =
      "cd '" + d + "' && " +
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=orders test CA' && "
      "openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj '/CN=127.0.0.1' && "
      "openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out broker.pem -days 2 "
      "-extfile san.ext && "
      "cat broker.key broker.pem > broker-keystore.pem";
  if (std::system(("(" + script + ") > '" + d + "/openssl.log' 2>&1").c_str()) != 0) {
    std::ifstream log(d + "/openssl.log");
    std::stringstream text;
    text << log.rdbuf();
    error = "openssl could not make the test CA and broker certificate:\n" + text.str();
    return false;
  }
  return true;
}

std::unique_ptr<SecuredBroker> SecuredBroker::Create(std::string& error, Mechanism mechanism) {
  std::unique_ptr<SecuredBroker> broker(new SecuredBroker());
  const bool scram = mechanism == Mechanism::kScramSha512;
  broker->libs_ = scram ? Kafka39Libs() : KafkaLibs();
  if (!fs::exists(broker->libs_)) {
    error = "no Kafka jars at " + broker->libs_ + " (./infra/test.sh resolves them; by hand: source " +
            "infra/lib/common.sh && " + (scram ? "orders::kafka_3_9_jars" : "orders::kafka_jars") + ")";
    return nullptr;
  }
  broker->directory_ = (fs::temp_directory_path() / UniqueName("secured-kafka")).string();
  fs::create_directories(broker->directory_ + "/logs");
  if (!broker->MakeCertificates(error)) return nullptr;
  broker->password_ = RandomSecret();
  const std::string inter_broker_password = RandomSecret();
  broker->mechanism_ = scram ? "SCRAM-SHA-512" : "PLAIN";
  const std::string users =
      scram ? "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"broker\" password=\"" +
                  inter_broker_password + "\";"
            : "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"broker\" password=\"" +
                  inter_broker_password + "\" user_broker=\"" + inter_broker_password + "\" user_" + kUser + "=\"" +
                  broker->password_ + "\";";
  broker->port_ = FreePort();
  broker->controller_port_ = FreePort();
  const std::string d = broker->directory_;
  const std::string port = std::to_string(broker->port_), controller = std::to_string(broker->controller_port_);
  std::ofstream(d + "/kafka.properties") << "process.roles=broker,controller\n"
                                         << "node.id=1\n"
                                         << "controller.quorum.voters=1@127.0.0.1:" << controller << "\n"
                                         << "listeners=SASL_SSL://127.0.0.1:" << port
                                         << ",CONTROLLER://127.0.0.1:" << controller << "\n"
                                         << "advertised.listeners=SASL_SSL://127.0.0.1:" << port << "\n"
                                         << "controller.listener.names=CONTROLLER\n"
                                         << "inter.broker.listener.name=SASL_SSL\n"
                                         << "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT\n"
                                         << "sasl.enabled.mechanisms=" << broker->mechanism_ << "\n"
                                         << "sasl.mechanism.inter.broker.protocol=" << broker->mechanism_ << "\n"
                                         << "listener.name.sasl_ssl." << (scram ? "scram-sha-512" : "plain")
                                         << ".sasl.jaas.config=" << users << "\n"
                                         << "ssl.keystore.type=PEM\n"
                                         << "ssl.keystore.location=" << d << "/broker-keystore.pem\n"
                                         << "ssl.truststore.type=PEM\n"
                                         << "ssl.truststore.location=" << d << "/ca.pem\n"
                                         << "log.dirs=" << d << "/data\n"
                                         << "num.partitions=3\n"
                                         << "auto.create.topics.enable=false\n"
                                         << "offsets.topic.replication.factor=1\n"
                                         << "offsets.topic.num.partitions=3\n"
                                         << "transaction.state.log.replication.factor=1\n"
                                         << "transaction.state.log.min.isr=1\n"
                                         << "share.coordinator.state.topic.replication.factor=1\n"
                                         << "share.coordinator.state.topic.min.isr=1\n"
                                         << "group.initial.rebalance.delay.ms=0\n"
                                         << "num.network.threads=2\n"
                                         << "num.io.threads=2\n";
  const std::string log = d + "/logs/stdout.log";
  std::vector<std::string> format = {"kafka.tools.StorageTool", "format", "-t",
                                     "s7Kq-2_QTmu_zwGINzRvyQ",  "-c",     d + "/kafka.properties"};
  if (scram) {
    format.insert(format.end(),
                  {"--add-scram", "SCRAM-SHA-512=[name=broker,password=" + inter_broker_password + "]", "--add-scram",
                   "SCRAM-SHA-512=[name=" + std::string(kUser) + ",password=" + broker->password_ + "]"});
  }
  if (RunKafkaJava(broker->libs_, d, format, log, true) != 0) {
    error = "Kafka storage format failed:\n" + broker->LogText();
    return nullptr;
  }
  broker->pid_ = RunKafkaJava(broker->libs_, d, {"kafka.Kafka", d + "/kafka.properties"}, log, false);
  bool exited = false;
  if (!Eventually(
          [&] {
            exited = ::waitpid(broker->pid_, nullptr, WNOHANG) == broker->pid_;
            return exited || LoopbackPortOpen(broker->port_);
          },
          std::chrono::seconds(90), std::chrono::milliseconds(100)) ||
      exited) {
    if (exited) broker->pid_ = -1;
    error = "the secured Kafka did not start:\n" + broker->LogText();
    return nullptr;
  }
  return broker;
}

SecuredBroker::~SecuredBroker() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  fs::remove_all(directory_, ignored);
}

std::string SecuredBroker::Brokers() const { return "127.0.0.1:" + std::to_string(port_); }

std::map<std::string, std::string> SecuredBroker::ClientProperties() const {
  return {{"security.protocol", "SASL_SSL"},
          {"sasl.mechanisms", mechanism_},
          {"sasl.username", kUser},
          {"sasl.password", password_},
          {"ssl.ca.location", CaFile()}};
}

// The broker's errors first (a failed start ends in pages of orderly shutdown), then the tail of its output.
std::string SecuredBroker::LogText() const {
  std::string errors, all;
  for (const char* name : {"/logs/stdout.log", "/logs/server.log"}) {
    std::ifstream in(directory_ + name);
    for (std::string line; std::getline(in, line);) {
      if (line.find(" ERROR ") != std::string::npos && errors.size() < 4000) errors += line + "\n";
      all += line + "\n";
    }
  }
  return errors + (all.size() > 3000 ? all.substr(all.size() - 3000) : all);
}

}  // namespace orders::testing
