// Three command-service instances behind a round-robin load balancer (a TCP
// proxy), as an operator scales out: every command reaches an arbitrary
// instance, which places or forwards it to the order's writer. In steady
// state no command is refused for landing on the wrong instance; when an
// instance is killed (taken out of the balancer at once, as a health check
// would) and another added, commands are refused only until the group has
// handed the dead instance's partitions on, and the invariant checker finds
// no duplicate, gap or lost acknowledgement.
#include <cstdio>

#include <orders/command/partitioning.hpp>
#include <orders/platform/uuid.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/tcp_proxy.hpp>
#include <orders/testing/tokens.hpp>

#include "platform_fixture.hpp"

namespace orders::testing {
namespace {

using namespace std::chrono_literals;

class ScaleOutUnderLoad : public PlatformUnderLoad {
 protected:
  // The instances split the six partitions, and each knows where the others' orders go: a status
  // change of an unknown order reaches its writer, which answers 404 (another instance would say 503).
  static constexpr std::int32_t kPartitions = 6;

  bool Balanced(const std::vector<std::uint16_t>& ports) {
    int owned = 0;
    for (const auto port : ports) {
      const int mine = OwnedPartitions(port);
      if (mine <= 0 || HttpRequest(port, "GET", "/readyz").status != 200) return false;
      owned += mine;
    }
    if (owned != kPartitions) return false;
    // Two unknown orders in every partition (random ids could leave a partition untried, and an
    // instance that does not know its writer yet would refuse the load's first commands there).
    for (std::int32_t partition = 0; partition < kPartitions; ++partition) {
      for (int i = 0; i < 2; ++i) {
        const std::string id = command::NewOrderIdWhere([] { return platform::NewUuid(); },
                                                        [&](std::int32_t p) { return p == partition; }, kPartitions);
        const std::string path = "/orders/" + id + "/status";
        for (const auto port : ports) {
          const auto answer = HttpRequest(port, "PUT", path, R"({"status":"confirmed"})",
                                          WithToken({{"Content-Type", "application/json"}}));
          if (answer.status != 404) return false;
        }
      }
    }
    return true;
  }
};

TEST_F(ScaleOutUnderLoad, ThreeInstancesBehindABalancerRefuseNothingInSteadyStateAndLoseNothingWhenOneIsReplaced) {
  ServiceProcess second(CommandServiceBinary(), CommandEnvironment());
  ServiceProcess third(CommandServiceBinary(), CommandEnvironment());
  ASSERT_TRUE(second.Start()) << second.LogText();
  ASSERT_TRUE(third.Start()) << third.LogText();
  const std::vector<std::uint16_t> three = {command_->port(), second.port(), third.port()};
  ASSERT_TRUE(Eventually([&] { return Balanced(three); }, 60s, 100ms)) << second.LogText() << third.LogText();
  TcpProxy balancer(three);
  balancer_port_ = balancer.port();

  StartLoad();
  ASSERT_TRUE(RunUntilAcknowledged(600));
  const auto steady = load_->stats();
  EXPECT_EQ(steady.unavailable, 0) << "commands refused in steady state (wrong instance, or not forwarded)";
  std::printf("steady state: %lld acknowledged through the balancer, %lld refused (%lld without an answer)\n",
              static_cast<long long>(steady.acknowledged), static_cast<long long>(steady.unavailable),
              static_cast<long long>(steady.unclear));

  // The third dies; the balancer stops sending it new connections at once. Its partitions stay
  // with it until its session times out: their commands are refused until then.
  balancer.SetTargets({command_->port(), second.port()});
  third.Kill();
  const auto killed_at = Clock::now();
  ServiceProcess fourth(CommandServiceBinary(), CommandEnvironment());
  ASSERT_TRUE(fourth.Start()) << fourth.LogText();
  const std::vector<std::uint16_t> after = {command_->port(), second.port(), fourth.port()};
  ASSERT_TRUE(RunUntil([&] { return Balanced(after); },
                       "the group splits the partitions between the three live "
                       "instances"))
      << fourth.LogText();
  balancer.SetTargets(after);
  const auto rebalanced_at = Clock::now();
  ExpectWorkResumesAfter(rebalanced_at, 200);
  const auto before_finish = load_->stats();
  std::printf("kill to rebalanced: %.1f s; refused meanwhile: %lld\n",
              std::chrono::duration<double>(rebalanced_at - killed_at).count(),
              static_cast<long long>(before_finish.unavailable - steady.unavailable));
  ExpectBoundedUnavailability(30s);
  EXPECT_LT(before_finish.LastUnavailable(), rebalanced_at + 2s)
      << "commands were still refused after the instances had settled";
  balancer_port_ = 0;
  FinishAndCheck();
}

}  // namespace
}  // namespace orders::testing
