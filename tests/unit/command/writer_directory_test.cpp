#include <orders/command/writer_directory.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace orders::command {
namespace {

TEST(WriterDirectory, AnInstanceAdvertisesItsAddressInItsClientIdAndItIsReadBack) {
  const auto client_id = AdvertisingClientId("command-service-writer", "http://10.0.0.7:8081");
  EXPECT_EQ(client_id, "command-service-writer@http://10.0.0.7:8081");
  EXPECT_EQ(AdvertisedUrl(client_id), "http://10.0.0.7:8081");
}

TEST(WriterDirectory, AClientIdWithoutAnHttpAddressAdvertisesNothing) {
  EXPECT_EQ(AdvertisedUrl("command-service-writer"), std::nullopt);  // an older instance
  EXPECT_EQ(AdvertisedUrl("command-service-writer@"), std::nullopt);
  EXPECT_EQ(AdvertisedUrl("someone@ftp://host"), std::nullopt);
}

TEST(WriterDirectory, EachPartitionIsWrittenByTheMemberItIsAssignedTo) {
  const auto writers = WritersByPartition({{"command-service-writer@http://127.0.0.1:8081", {0, 2}},
                                           {"command-service-writer@http://127.0.0.1:8091", {1}},
                                           {"a-tool-in-the-group", {3}}});
  EXPECT_EQ(writers, (std::map<platform::Partition, std::string>{
                         {0, "http://127.0.0.1:8081"}, {1, "http://127.0.0.1:8091"}, {2, "http://127.0.0.1:8081"}}));
}

// Kafka's consumer protocol assignment, big-endian: version, topics (name, partitions), user data.
std::string Assignment(const std::vector<std::pair<std::string, std::vector<std::int32_t>>>& topics,
                       std::int16_t version = 1) {
  std::string bytes;
  auto put = [&bytes](std::uint64_t value, int width) {
    for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(value >> shift));
  };
  put(static_cast<std::uint16_t>(version), 2);
  put(topics.size(), 4);
  for (const auto& [name, partitions] : topics) {
    put(name.size(), 2);
    bytes += name;
    put(partitions.size(), 4);
    for (const auto partition : partitions) put(static_cast<std::uint32_t>(partition), 4);
  }
  put(0xFFFFFFFFu, 4);  // no user data
  return bytes;
}

TEST(WriterDirectory, AnAssignmentNamesThePartitionsOfTheWritersTopicOnly) {
  const auto bytes = Assignment({{"orders.events", {0, 3, 5}}, {"inventory.events", {1}}});
  EXPECT_EQ(PartitionsInAssignment(bytes, "orders.events"), (std::vector<platform::Partition>{0, 3, 5}));
  EXPECT_EQ(PartitionsInAssignment(bytes, "inventory.events"), (std::vector<platform::Partition>{1}));
  EXPECT_EQ(PartitionsInAssignment(bytes, "other"), (std::vector<platform::Partition>{}));
  // Every protocol version starts the same way.
  EXPECT_EQ(PartitionsInAssignment(Assignment({{"orders.events", {2}}}, 3), "orders.events"),
            (std::vector<platform::Partition>{2}));
}

TEST(WriterDirectory, AMemberWithoutAnAssignmentYetWritesNothing) {
  EXPECT_EQ(PartitionsInAssignment("", "orders.events"), (std::vector<platform::Partition>{}));
}

TEST(WriterDirectory, AnAssignmentCutShortOrWithNegativeCountsIsNotTakenAsOne) {
  const auto bytes = Assignment({{"orders.events", {0, 1}}});
  for (std::size_t cut = 1; cut < bytes.size() - 4; ++cut) {
    EXPECT_EQ(PartitionsInAssignment(bytes.substr(0, cut), "orders.events"), std::nullopt) << "cut at " << cut;
  }
  std::string negative_topics = bytes;
  negative_topics[2] = '\xff';  // topic count 0xff000001
  EXPECT_EQ(PartitionsInAssignment(negative_topics, "orders.events"), std::nullopt);
  std::string huge_name = bytes;
  huge_name[6] = '\x7f';  // a topic name longer than the bytes
  EXPECT_EQ(PartitionsInAssignment(huge_name, "orders.events"), std::nullopt);
}

}  // namespace
}  // namespace orders::command
