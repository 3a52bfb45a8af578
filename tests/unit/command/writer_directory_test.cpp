#include <orders/command/writer_directory.hpp>

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

}  // namespace
}  // namespace orders::command
