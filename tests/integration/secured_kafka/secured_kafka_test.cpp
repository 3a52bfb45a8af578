// The three services against a broker that speaks only SASL_SSL (SASL over
// TLS, a CA made at set-up), once with PLAIN and once with SCRAM-SHA-512: the
// command service and the notifier get the client properties as
// KAFKA_PROPERTY_<NAME> variables, the projection as a KAFKA_CONFIG_FILE (the
// password in a 0600 file, never on a command line). An order placed and
// confirmed through the command API reaches the read model and a WebSocket
// subscriber. A wrong password keeps a service not ready, its log saying the
// broker refused the login without showing the password. A property librdkafka
// refuses stops a service at start with a message that names the property and
// not its value.
//
// The SCRAM broker is Kafka 3.9, not the 4.x every other test runs:
// secured_broker.hpp says why (librdkafka before 2.6.1 against Kafka 4.x).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <pqxx/pqxx>

#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>
#include <orders/testing/ws_client.hpp>

#include "secured_broker.hpp"

namespace orders::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;

// KAFKA_PROPERTY_<NAME> for a librdkafka property: dots as underscores, upper case.
std::string VariableOf(const std::string& property) {
  std::string name = "KAFKA_PROPERTY_";
  for (char c : property) name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

class SecuredKafkaTest : public ::testing::TestWithParam<SecuredBroker::Mechanism> {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_POSTGRES();
    std::string error;
    broker_ = SecuredBroker::Create(error, GetParam());
    ASSERT_TRUE(broker_) << error;
    saved_brokers_ = KafkaBrokers();
    ::setenv("KAFKA_BROKERS", broker_->Brokers().c_str(), 1);  // the test's own admin client
    topic_ = UniqueName("secured");
    inventory_topic_ = UniqueName("secured-inventory");
    ASSERT_EQ(CreateTopic(topic_, 3, 1, broker_->ClientProperties()), "") << broker_->LogText();
    ASSERT_EQ(CreateTopic(inventory_topic_, 3, 1, broker_->ClientProperties()), "");
    schema_ = "secured_" + std::to_string(::getpid()) + "_" + std::to_string(std::rand() % 100000);
  }

  void TearDown() override {
    for (auto* service : {&command_, &projection_, &notifier_}) service->reset();
    ::setenv("KAFKA_BROKERS", saved_brokers_.c_str(), 1);
    if (!schema_.empty() && PostgresReachable()) {
      pqxx::connection connection(DatabaseUrl());
      pqxx::work work(connection);
      work.exec0("DROP SCHEMA IF EXISTS " + work.quote_name(schema_) + " CASCADE");
      work.commit();
    }
  }

  std::map<std::string, std::string> BaseEnvironment() const {
    return {{"KAFKA_BROKERS", broker_->Brokers()},
            {"ORDERS_TOPIC", topic_},
            {"INVENTORY_TOPIC", inventory_topic_},
            {"READ_MODEL_SCHEMA", schema_},
            {"DATABASE_URL", DatabaseUrl()},
            {"CONSUMER_GROUP", UniqueName("secured")},
            {"WORKFLOW", "off"}};
  }
  // The client properties as KAFKA_PROPERTY_<NAME> variables.
  std::map<std::string, std::string> WithPropertyVariables() const {
    auto env = BaseEnvironment();
    for (const auto& [name, value] : broker_->ClientProperties()) env[VariableOf(name)] = value;
    return env;
  }
  // The client properties in a KAFKA_CONFIG_FILE (0600: it holds the password).
  std::map<std::string, std::string> WithConfigFile() const {
    const std::string path = broker_->directory() + "/client.properties";
    {
      std::ofstream file(path);
      file << "# librdkafka properties of the secured test broker\n";
      for (const auto& [name, value] : broker_->ClientProperties()) file << name << "=" << value << "\n";
    }
    ::chmod(path.c_str(), 0600);
    auto env = BaseEnvironment();
    env["KAFKA_CONFIG_FILE"] = path;
    return env;
  }

  void StartReady(std::unique_ptr<ServiceProcess>& service, const std::string& binary,
                  const std::map<std::string, std::string>& env) {
    service = std::make_unique<ServiceProcess>(binary, env);
    ASSERT_TRUE(service->Start()) << service->LogText() << "\nbroker:\n" << broker_->LogText();
    ASSERT_TRUE(Eventually([&] { return HttpRequest(service->port(), "GET", "/readyz").status == 200; }, seconds(60)))
        << service->LogText();
  }

  std::unique_ptr<SecuredBroker> broker_;
  std::string saved_brokers_, topic_, inventory_topic_, schema_;
  std::unique_ptr<ServiceProcess> command_, projection_, notifier_;
};

TEST_P(SecuredKafkaTest, AnOrderGoesThroughCommandProjectionAndNotifier) {
  StartReady(command_, CommandServiceBinary(), WithPropertyVariables());
  StartReady(projection_, ProjectionServiceBinary(), WithConfigFile());
  StartReady(notifier_, NotifierBinary(), WithPropertyVariables());

  const auto created = HttpRequest(command_->port(), "POST", "/orders",
                                   R"({"customerId":"alice","items":[{"productId":"tea","quantity":2,)"
                                   R"("unitPriceCents":450}],"currency":"EUR"})",
                                   WithToken({{"Content-Type", "application/json"}}, "staff"));
  ASSERT_EQ(created.status, 201) << created.body << command_->LogText();
  const std::string id = json::parse(created.body)["orderId"];

  WsClient customer;
  ASSERT_EQ(customer.Connect(notifier_->port(), "/ws?access_token=" + TestToken("alice", "customer")), 101);
  customer.SendText(json{{"type", "subscribe"}, {"orderId", id}}.dump());
  const auto snapshot = customer.ReceiveJson(seconds(15));
  ASSERT_EQ(snapshot["type"], "snapshot") << snapshot.dump() << notifier_->LogText();
  EXPECT_EQ(snapshot["order"]["version"], 1);

  const auto confirmed =
      HttpRequest(command_->port(), "PUT", "/orders/" + id + "/status", R"({"status":"confirmed","reason":"paid"})",
                  WithToken({{"If-Match", "\"1\""}, {"Content-Type", "application/json"}}, "staff"));
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  const auto update = customer.ReceiveJson(seconds(15));
  ASSERT_EQ(update["type"], "update") << update.dump();
  EXPECT_EQ(update["version"], 2);
  EXPECT_EQ(update["status"], "confirmed");

  // The projection (its properties from the file) has the order at version 2.
  HttpResponse read;
  ASSERT_TRUE(Eventually(
      [&] {
        read = HttpRequest(projection_->port(), "GET", "/orders/" + id, "", WithToken({}, "staff"));
        return read.status == 200 && json::parse(read.body).value("version", 0) == 2;
      },
      seconds(20)))
      << read.status << " " << read.body << projection_->LogText();
  EXPECT_EQ(json::parse(read.body)["status"], "confirmed");
}

// Checked before any connection, so no broker is needed: each of the three services refuses to start.
TEST(KafkaPropertiesAtStart, APropertyLibrdkafkaRefusesStopsEachServiceNamingThePropertyNotItsValue) {
  const std::map<std::string, std::string> env = {{"KAFKA_BROKERS", "127.0.0.1:1"},
                                                  {"KAFKA_PROPERTY_SECURITY_PROTOCOL", "sasl_tls"},  // no such protocol
                                                  {"KAFKA_PROPERTY_SASL_PASSWORD", "a-password-never-to-be-logged"},
                                                  {"DATABASE_URL", DatabaseUrl()},
                                                  {"WORKFLOW", "off"}};
  for (const auto& binary : {CommandServiceBinary(), ProjectionServiceBinary(), NotifierBinary()}) {
    ServiceProcess service(binary, env);
    EXPECT_FALSE(service.Start(seconds(20))) << binary << ": a service with a refused Kafka property must not start";
    const auto log = service.LogText();
    EXPECT_NE(log.find("Kafka property security.protocol is unknown or has an invalid value"), std::string::npos)
        << binary << ": " << log;
    EXPECT_EQ(log.find("sasl_tls"), std::string::npos) << "the value is not echoed (it could be a secret): " << log;
    EXPECT_EQ(log.find("a-password-never-to-be-logged"), std::string::npos) << log;
  }
}

TEST_P(SecuredKafkaTest, AWrongPasswordKeepsTheServiceNotReadyAndItsLogSaysWhyWithoutThePassword) {
  auto env = WithPropertyVariables();
  // The wrong password contains the right one: a log without the right one shows neither.
  env[VariableOf("sasl.password")] = "not-the-" + broker_->password();
  ServiceProcess command(CommandServiceBinary(), env);
  ASSERT_TRUE(command.Start(seconds(20))) << command.LogText();
  // The service's own log (a JSON warning, not only librdkafka's stderr) carries the broker's refusal.
  EXPECT_TRUE(Eventually(
      [&] {
        for (const auto& line : command.LogLines()) {
          if (line.find(R"("level":"warn")") != std::string::npos &&
              line.find("SASL authentication error: Authentication failed") != std::string::npos) {
            return true;
          }
        }
        return false;
      },
      seconds(20)))
      << command.LogText();
  EXPECT_EQ(HttpRequest(command.port(), "GET", "/readyz").status, 503);
  EXPECT_FALSE(Eventually([&] { return HttpRequest(command.port(), "GET", "/readyz").status == 200; }, seconds(5)));
  const auto log = command.LogText();
  EXPECT_EQ(log.find(broker_->password()), std::string::npos) << log;
}

std::string MechanismName(const ::testing::TestParamInfo<SecuredBroker::Mechanism>& info) {
  return info.param == SecuredBroker::Mechanism::kPlain ? "Plain" : "ScramSha512";
}

INSTANTIATE_TEST_SUITE_P(SaslSsl, SecuredKafkaTest,
                         ::testing::Values(SecuredBroker::Mechanism::kPlain, SecuredBroker::Mechanism::kScramSha512),
                         MechanismName);

}  // namespace
}  // namespace orders::testing
