#include "lib/connection_routes.hpp"

#include <gtest/gtest.h>

#include <string>

namespace orders::bench {
namespace {

// An order id (as the tests write them) that falls into `partition` of `partitions`.
std::string IdIn(std::int32_t partition, std::int32_t partitions, int skip = 0) {
  for (int i = 0;; ++i) {
    std::string id = "order-" + std::to_string(i);
    if (command::PartitionOf(id, partitions) == partition && skip-- == 0) return id;
  }
}

TEST(ConnectionRoutes, MapsIdsToPartitionsAsTheServiceDoes) {
  const ConnectionRoutes routes(1, 6);
  for (const std::string id : {"a", "0b8f7c1e-5f53-4c3e-9a47-2f1a4c8e9d10", "order-17"}) {
    EXPECT_EQ(routes.PartitionOf(id), command::PartitionOf(id, 6));
  }
}

TEST(ConnectionRoutes, ACommandForAPartitionItsConnectionCreatedInIsLocalAnyOtherForwarded) {
  ConnectionRoutes routes(2, 6);
  routes.Created(0, IdIn(1, 6));
  routes.Created(0, IdIn(4, 6));
  routes.Created(1, IdIn(2, 6));
  EXPECT_EQ(routes.RouteOf(0, IdIn(1, 6, 1)), Route::kLocal);
  EXPECT_EQ(routes.RouteOf(0, IdIn(4, 6, 3)), Route::kLocal);
  EXPECT_EQ(routes.RouteOf(0, IdIn(2, 6)), Route::kForwarded);
  EXPECT_EQ(routes.RouteOf(1, IdIn(2, 6, 2)), Route::kLocal);
  EXPECT_EQ(routes.RouteOf(1, IdIn(1, 6)), Route::kForwarded);
  EXPECT_EQ(routes.WrittenBy(0), (std::set<std::int32_t>{1, 4}));
}

TEST(ConnectionRoutes, AConnectionThatCreatedNothingCannotBeJudged) {
  ConnectionRoutes routes(2, 6);
  routes.Created(0, IdIn(3, 6));
  EXPECT_EQ(routes.RouteOf(1, IdIn(3, 6)), Route::kUnknown);
  EXPECT_EQ(routes.RouteOf(5, IdIn(3, 6)), Route::kUnknown);  // no such connection
  const ConnectionRoutes off(2, 0);                           // --partitions not given
  EXPECT_EQ(off.RouteOf(0, "x"), Route::kUnknown);
}

TEST(ParsePortList, ReadsCommaSeparatedPorts) {
  EXPECT_EQ(ParsePortList("8080"), (std::vector<std::uint16_t>{8080}));
  EXPECT_EQ(ParsePortList("1,65535,19940"), (std::vector<std::uint16_t>{1, 65535, 19940}));
}

TEST(ParsePortList, RefusesAnythingButPorts) {
  for (const char* bad : {"", ",", "8080,", ",8080", "0", "65536", "123456", "80a", "-1", "80 ,81", "80,,81"}) {
    EXPECT_FALSE(ParsePortList(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace orders::bench
