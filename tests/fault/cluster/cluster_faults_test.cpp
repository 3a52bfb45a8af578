// Fault scenarios on a three-node Kafka cluster under load (replication
// factor 3, min.insync.replicas 2, producers with acks=all), each ending with
// the invariant checker (no acknowledged command lost or duplicated, no gap,
// every subscriber saw every followed order's last version):
//   - the leader of the busiest partitions is SIGKILLed: the other replicas
//     take over and commands resume within seconds;
//   - two of the three nodes are SIGKILLed: too few replicas (and no quorum),
//     so commands are refused within the answer deadline (3 s), and nothing
//     acknowledged is missing once the nodes are back;
//   - the active controller frozen (SIGSTOP) and thawed; the same with a network
//     partition (disabled, see below): the active controller is cut off from everything
//     (PrivateKafkaCluster's proxies: every connection to and from the node
//     is dropped, the node itself keeps running, as in a real partition; a
//     SIGSTOP would freeze it instead and nobody would see its sockets fail),
//     then healed.
// Every figure is printed; the bounds are generous liveness bounds (speed
// belongs to the benchmarks: ./infra/bench.sh failover).
#include <algorithm>
#include <cstdlib>

#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/private_kafka_cluster.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>

#include "platform_fixture.hpp"

namespace orders::testing {
namespace {

using std::chrono::seconds;

double MillisBetween(LoadDriver::Clock::time_point from, LoadDriver::Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

class PlatformOnKafkaCluster : public PlatformUnderLoad {
 protected:
  void SetUp() override {
    const auto started = Clock::now();
    std::string error;
    cluster_ = PrivateKafkaCluster::Create(error);
    ASSERT_TRUE(cluster_) << error;
    std::printf("cluster of three nodes up in %.1f s\n", MillisBetween(started, Clock::now()) / 1000);
    saved_brokers_ = KafkaBrokers();
    ::setenv("KAFKA_BROKERS", cluster_->Brokers().c_str(), 1);  // topic creation and the checker
    brokers_ = cluster_->Brokers();
    replication_factor_ = -1;  // the cluster's default: 3
    // The checker allows no resend: the producer never times a record out, so it never bumps
    // its epoch to send written batches again (deadline_appender.hpp). An event twice is a violation here too.
    PlatformUnderLoad::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(Eventually([&] { return cluster_->FullyReplicated(topic_); }, seconds(30)))
        << "the topic has three in-sync replicas per partition";
  }
  void TearDown() override {
    PlatformUnderLoad::TearDown();
    ::setenv("KAFKA_BROKERS", saved_brokers_.c_str(), 1);
  }

  // The node leading the partitions that hold the most records of the orders topic.
  int BusiestLeader() {
    std::map<int, std::int64_t> records_led;
    const auto leaders = cluster_->PartitionLeaders(topic_);
    for (const auto& [partition, end] : cluster_->EndOffsets(topic_)) {
      const auto leader = leaders.find(partition);
      if (leader != leaders.end()) records_led[leader->second] += end;
    }
    int busiest = -1;
    for (const auto& [node, records] : records_led) {
      if (busiest < 0 || records > records_led[busiest]) busiest = node;
    }
    return busiest;
  }

  bool NoPartitionLedBy(int node) {
    const auto leaders = cluster_->PartitionLeaders(topic_);
    return !leaders.empty() && std::none_of(leaders.begin(), leaders.end(), [&](const auto& entry) {
      return entry.second == node || entry.second < 0;
    });
  }

  // Commands refused or left unanswered that ended after `from`, and the last of them.
  struct Outage {
    std::int64_t refused = 0, unanswered = 0;
    std::optional<Clock::time_point> last;
  };
  Outage OutageSince(Clock::time_point from) {
    Outage outage;
    for (const auto& answer : load_->stats().answers) {
      if (answer.read || answer.ended < from || (answer.status != 503 && answer.status != 0)) continue;
      ++(answer.status == 503 ? outage.refused : outage.unanswered);
      outage.last = std::max(outage.last.value_or(answer.ended), answer.ended);
    }
    return outage;
  }

  // Prints and bounds how commands fared after the fault at `fault_at`.
  void ReportRecovery(const char* fault, Clock::time_point fault_at, seconds limit) {
    const auto stats = load_->stats();
    const auto outage = OutageSince(fault_at);
    const auto first = stats.FirstAcknowledgedSince(fault_at);
    std::printf(
        "%s: first command sent after it acknowledged %.0f ms after it; %lld answered 503 and %lld unanswered "
        "after it, the last %.0f ms after it\n",
        fault, first ? MillisBetween(fault_at, *first) : -1.0, static_cast<long long>(outage.refused),
        static_cast<long long>(outage.unanswered), outage.last ? MillisBetween(fault_at, *outage.last) : 0.0);
    ASSERT_TRUE(first) << "no command sent after the fault was acknowledged";
    EXPECT_LE(MillisBetween(fault_at, *first), 1000.0 * static_cast<double>(limit.count()));
    if (outage.last) {
      EXPECT_LE(MillisBetween(fault_at, *outage.last), 1000.0 * static_cast<double>(limit.count()));
    }
  }

  std::vector<int> NodesBut(int node) {
    std::vector<int> others;
    for (int n = 1; n <= PrivateKafkaCluster::kNodes; ++n) {
      if (n != node) others.push_back(n);
    }
    return others;
  }

  std::unique_ptr<PrivateKafkaCluster> cluster_;
  std::string saved_brokers_;
};

TEST_F(PlatformOnKafkaCluster, LeaderOfTheBusiestPartitionsKilledLosesNoAcknowledgedCommandAndCommandsResume) {
  StartLoad();
  ASSERT_TRUE(RunUntilAcknowledged(150));
  const int victim = BusiestLeader();
  ASSERT_GT(victim, 0) << "no partition leader found";
  const int in_flight = load_->in_flight();
  const auto killed_at = Clock::now();
  cluster_->Kill(victim);
  std::printf("killed node %d (leader of the busiest partitions) with %d commands in flight\n", victim, in_flight);
  ASSERT_TRUE(RunUntil([&] { return NoPartitionLedBy(victim); }, "the other replicas lead every partition"));
  std::printf("leadership moved off node %d %.0f ms after the kill\n", victim, MillisBetween(killed_at, Clock::now()));
  ExpectWorkResumesAfter(killed_at, 100);
  FinishAndCheck(seconds(60));
  ReportRecovery("leader killed", killed_at, seconds(30));
}

// An append left without an answer here can be committed long after the client got its 503: the surviving
// leader keeps it while it waits for in-sync replicas, and commits it once the nodes are back. The command
// service must not take that order's next command before it knows (log markers, UncertaintySettler); it once
// settled such appends after a fixed grace and appended a placement again beside the late one.
TEST_F(PlatformOnKafkaCluster, TwoOfThreeNodesDownRefusesCommandsAndLosesNothingAcknowledged) {
  load_options_.workers = 6;  // refusals take up to the answer deadline each: more of them at once
  StartLoad();
  ASSERT_TRUE(RunUntilAcknowledged(100));
  const int survivor = BusiestLeader();  // any node will do; the busiest keeps most leaders where they are
  ASSERT_GT(survivor, 0);
  const auto down_at = Clock::now();
  for (int node : NodesBut(survivor)) cluster_->Kill(node);
  std::printf("killed nodes %d and %d; node %d is left alone (one replica, no quorum)\n", NodesBut(survivor)[0],
              NodesBut(survivor)[1], survivor);

  // A command of its own, with a client that waits far longer than the service's answer deadline (3 s): it must
  // get a 503, not hang, although the producer keeps its record until the nodes are back. Another customer, so the
  // subscribers' expectations are not concerned.
  const auto probe_started = Clock::now();
  const auto probe =
      HttpRequest(command_->port(), "POST", "/orders",
                  R"({"customerId":"probe","items":[{"productId":"sku-1","quantity":1,"unitPriceCents":100}],)"
                  R"("currency":"EUR"})",
                  WithToken({{"Content-Type", "application/json"}}), seconds(30));
  const double probe_ms = MillisBetween(probe_started, Clock::now());
  std::printf("a command sent with two of three nodes down: %d after %.0f ms\n", probe.status, probe_ms);
  EXPECT_EQ(probe.status, 503) << probe.body;
  EXPECT_LE(probe_ms, 15000.0) << "the refusal must come within the answer deadline (3 s) and a margin";
  const auto refused_before = load_->stats().unavailable;
  ASSERT_TRUE(RunUntil([&] { return load_->stats().unavailable >= refused_before + 10; },
                       "10 more commands refused or unanswered during the outage"));

  const auto restart_at = Clock::now();
  std::string error;
  for (int node : NodesBut(survivor)) ASSERT_TRUE(cluster_->Start(node, error)) << error;
  ExpectWorkResumesAfter(restart_at, 100);
  ReportRecovery("nodes restarted", restart_at, seconds(60));
  std::printf(
      "acknowledged while two nodes were down (commands in flight at the kill): %lld\n",
      static_cast<long long>(load_->stats().AcknowledgedSince(down_at) - load_->stats().AcknowledgedSince(restart_at)));
  FinishAndCheck(seconds(90));
  ExpectBoundedUnavailability(seconds(90));
}

// The active controller cut off by a network partition: per-pair proxies between the nodes, and each node's
// advertised controller address a proxy of its own (a Kafka 4 quorum leader hands its followers its own
// controller endpoint, which the per-pair proxies alone never cut). The connected nodes elect a successor and
// take over its partitions; once healed it catches up. Its first runs also found acknowledged status changes
// twice in the log as the same event, resent by the producer after messages had timed out in flight; the
// producer no longer times records out (kafka_settings.cpp), and such a copy now fails the check.
TEST_F(PlatformOnKafkaCluster, ActiveControllerCutOffByANetworkPartitionThenHealedLosesNothing) {
  StartLoad();
  ASSERT_TRUE(RunUntilAcknowledged(100));
  const int controller = cluster_->ActiveController();
  ASSERT_GT(controller, 0) << "the metadata quorum tool did not name the active controller";
  const auto cut_at = Clock::now();
  cluster_->Isolate(controller);
  std::printf("cut node %d (the active controller) off from clients and the other nodes\n", controller);
  const auto others = NodesBut(controller);
  int successor = -1;
  ASSERT_TRUE(RunUntil(
      [&] {
        successor = cluster_->ActiveController(others);
        return successor > 0 && successor != controller;
      },
      "the two connected nodes elect another controller"))
      << "last answer: " << successor << "\n"
      << cluster_->LogLines(others[0], "Transition") << cluster_->LogLines(others[0], "leader");
  std::printf("node %d became the active controller %.0f ms after the cut\n", successor,
              MillisBetween(cut_at, Clock::now()));
  ASSERT_TRUE(RunUntil([&] { return NoPartitionLedBy(controller); }, "the connected nodes lead every partition"));
  std::printf("leadership moved off node %d %.0f ms after the cut\n", controller, MillisBetween(cut_at, Clock::now()));
  ExpectWorkResumesAfter(cut_at, 100);
  ReportRecovery("controller cut off", cut_at, seconds(45));

  const auto healed_at = Clock::now();
  cluster_->Heal(controller);
  ASSERT_TRUE(RunUntil([&] { return cluster_->FullyReplicated(topic_); },
                       "the healed node catches up and is back in every partition's in-sync replicas"));
  std::printf("node %d back in sync %.0f ms after the heal\n", controller, MillisBetween(healed_at, Clock::now()));
  ExpectWorkResumesAfter(healed_at, 50);
  FinishAndCheck(seconds(60));
}

// The active controller frozen (SIGSTOP) and thawed: the stand-in for a partition that isolates it while the
// proxy cut above is not trusted. The node keeps its sockets open and answers nothing, so the others must notice
// it by timeouts, as they would a partitioned node; once thawed it finds itself deposed and catches up.
// A clean-clone CI run once found an acknowledged status change twice in the log here: the same defect as
// in the two-nodes-down scenario (an unknown outcome settled by a grace period, then a second write at its
// version).
TEST_F(PlatformOnKafkaCluster, ActiveControllerFrozenThenThawedLosesNothing) {
  StartLoad();
  ASSERT_TRUE(RunUntilAcknowledged(100));
  const int controller = cluster_->ActiveController();
  ASSERT_GT(controller, 0) << "the metadata quorum tool did not name the active controller";
  const auto frozen_at = Clock::now();
  cluster_->Freeze(controller);
  std::printf("froze node %d (the active controller)\n", controller);
  const auto others = NodesBut(controller);
  int successor = -1;
  ASSERT_TRUE(RunUntil(
      [&] {
        successor = cluster_->ActiveController(others);
        return successor > 0 && successor != controller;
      },
      "the two other nodes elect another controller"))
      << "last answer: " << successor;
  std::printf("node %d became the active controller %.0f ms after the freeze\n", successor,
              MillisBetween(frozen_at, Clock::now()));
  ASSERT_TRUE(RunUntil([&] { return NoPartitionLedBy(controller); }, "the other nodes lead every partition"));
  std::printf("leadership moved off node %d %.0f ms after the freeze\n", controller,
              MillisBetween(frozen_at, Clock::now()));
  ExpectWorkResumesAfter(frozen_at, 100);
  // A frozen node resets no connection: clients and the other nodes learn it is gone only from their own
  // timeouts. Its partitions were refused for 34-65 s in the first three runs (the kill above: under 10 s), so
  // the bound is the 90 s the platform scenarios allow a broker fault; the figure is printed.
  ReportRecovery("controller frozen", frozen_at, seconds(90));

  const auto thawed_at = Clock::now();
  cluster_->Thaw(controller);
  ASSERT_TRUE(RunUntil([&] { return cluster_->FullyReplicated(topic_); },
                       "the thawed node catches up and is back in every partition's in-sync replicas"));
  std::printf("node %d back in sync %.0f ms after the thaw\n", controller, MillisBetween(thawed_at, Clock::now()));
  ExpectWorkResumesAfter(thawed_at, 50);
  FinishAndCheck(seconds(60));
}

}  // namespace
}  // namespace orders::testing
