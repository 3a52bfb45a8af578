#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include <orders/platform/config.hpp>
#include <orders/platform/kafka_properties.hpp>

namespace orders::platform {
namespace {

class KafkaPropertiesTest : public ::testing::Test {
 protected:
  ~KafkaPropertiesTest() override { std::remove(path_.c_str()); }
  std::string File(const std::string& text) {
    std::ofstream(path_) << text;
    return path_;
  }
  std::string path_ = ::testing::TempDir() + "kafka-properties-test.conf";
};

TEST_F(KafkaPropertiesTest, VariablesNameThePropertyWithUnderscoresForDots) {
  const auto result = LoadKafkaProperties({{"KAFKA_PROPERTY_SECURITY_PROTOCOL", "SASL_SSL"},
                                           {"KAFKA_PROPERTY_SASL_MECHANISMS", "SCRAM-SHA-512"},
                                           {"OTHER", "x"}},
                                          "");
  EXPECT_TRUE(result.problems.empty());
  EXPECT_EQ(result.properties, (std::map<std::string, std::string>{{"security.protocol", "SASL_SSL"},
                                                                   {"sasl.mechanisms", "SCRAM-SHA-512"}}));
}

TEST_F(KafkaPropertiesTest, AFileGivesPropertiesAndAVariableWinsOverIt) {
  const auto file = File("# cluster\n\nsecurity.protocol = SSL\nsocket.keepalive.enable=true\n");
  const auto result = LoadKafkaProperties({{"KAFKA_PROPERTY_SECURITY_PROTOCOL", "SASL_SSL"}}, file);
  EXPECT_TRUE(result.problems.empty());
  EXPECT_EQ(result.properties.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(result.properties.at("socket.keepalive.enable"), "true");
}

TEST_F(KafkaPropertiesTest, UnknownPropertiesAndBadValuesAreProblemsThatNeverShowTheValue) {
  const auto result =
      LoadKafkaProperties({{"KAFKA_PROPERTY_NO_SUCH_THING", "secret-1"}, {"KAFKA_PROPERTY_LINGER_MS", "secret-2"}}, "");
  ASSERT_EQ(result.problems.size(), 2u);
  for (const auto& problem : result.problems) {
    EXPECT_EQ(problem.find("secret"), std::string::npos) << problem;
  }
}

TEST_F(KafkaPropertiesTest, WhatTheGuaranteesRestOnCannotBeChanged) {
  for (const char* name :
       {"KAFKA_PROPERTY_ENABLE_IDEMPOTENCE", "KAFKA_PROPERTY_ACKS", "KAFKA_PROPERTY_BOOTSTRAP_SERVERS",
        "KAFKA_PROPERTY_ENABLE_AUTO_COMMIT", "KAFKA_PROPERTY_GROUP_ID", "KAFKA_PROPERTY_MESSAGE_TIMEOUT_MS",
        "KAFKA_PROPERTY_DELIVERY_TIMEOUT_MS"}) {
    const auto result = LoadKafkaProperties({{name, "1"}}, "");
    EXPECT_EQ(result.problems.size(), 1u) << name;
  }
}

TEST_F(KafkaPropertiesTest, AMissingOrMalformedFileIsAProblem) {
  EXPECT_EQ(LoadKafkaProperties({}, "/no/such/file.conf").problems.size(), 1u);
  EXPECT_EQ(LoadKafkaProperties({}, File("just-a-name\n")).problems.size(), 1u);
}

TEST_F(KafkaPropertiesTest, TheServiceConfigCarriesThemAndStartupNamesEveryProblem) {
  const auto ok =
      LoadConfig({"svc", 8080, "group"},
                 {{"JWT_SECRET", "a-secret-of-thirty-two-bytes-or-more"}, {"KAFKA_PROPERTY_CLIENT_RACK", "eu-1a"}}, {});
  ASSERT_TRUE(ok.config);
  EXPECT_EQ(ok.config->kafka_properties.at("client.rack"), "eu-1a");
  const auto bad = LoadConfig({"svc", 8080, "group"},
                              {{"JWT_SECRET", "a-secret-of-thirty-two-bytes-or-more"}, {"KAFKA_PROPERTY_ACKS", "1"}},
                              {"--kafka-config-file", "/no/such/file.conf"});
  EXPECT_FALSE(bad.config);
  EXPECT_EQ(bad.problems.size(), 2u);
}

TEST_F(KafkaPropertiesTest, TheOperatorsPropertiesWinOverAServicesOwnSettings) {
  const auto settings = KafkaClientSettings("b:9092", {{"request.timeout.ms", "9000"}}, "client", "group",
                                            {{"request.timeout.ms", "3000"}, {"linger.ms", "1"}});
  EXPECT_EQ(settings.brokers, "b:9092");
  EXPECT_EQ(settings.group_id, "group");
  EXPECT_EQ(settings.overrides.at("request.timeout.ms"), "9000");
  EXPECT_EQ(settings.overrides.at("linger.ms"), "1");
}

}  // namespace
}  // namespace orders::platform
