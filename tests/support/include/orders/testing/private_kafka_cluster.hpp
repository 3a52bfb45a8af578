#pragma once
// A throw-away three-node Apache Kafka cluster (KRaft, every node broker and
// controller; infra/local/kafka-cluster.properties.in: replication factor 3,
// min.insync.replicas 2) for the cluster fault scenarios: the shared broker of
// the local stack is never touched.
//
// Every connection goes through a TcpProxy the fixture owns, one per
// (from, to) pair of nodes and per kind of traffic, so one node can be cut off
// from everything without touching the others:
//   - clients reach node N through its client proxy (the CLIENT listener is
//     advertised there, so librdkafka's metadata hands out proxied addresses);
//   - node M replicates from node N through the proxy M->N: every node has
//     one listener per peer (FROM1..FROM3), advertised through that peer's
//     proxy, and M's inter.broker.listener.name is FROM<M>;
//   - node M reaches node N's controller listener through the proxy M->N
//     (each node's controller.quorum.voters names the proxies it uses).
// There is no iptables on the machines the suite runs on, and SIGSTOP would
// freeze a node rather than cut it off (its sockets stay open and nobody
// learns it is gone); a proxy makes a partition with the shape of a real one.
//
// Kill(N) is SIGKILL; Start(N) brings node N back on the same ports and log
// directory. The destructor kills every node and removes the directory.

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <orders/testing/tcp_proxy.hpp>

namespace orders::testing {

class PrivateKafkaCluster {
 public:
  static constexpr int kNodes = 3;  // node ids 1..kNodes

  // Formats and starts every node, and waits until all three are registered brokers.
  static std::unique_ptr<PrivateKafkaCluster> Create(std::string& error);
  ~PrivateKafkaCluster();

  PrivateKafkaCluster(const PrivateKafkaCluster&) = delete;
  PrivateKafkaCluster& operator=(const PrivateKafkaCluster&) = delete;

  std::string Brokers() const;  // the bootstrap list clients use: every node's client proxy
  void Kill(int node);          // SIGKILL, waits
  bool Start(int node, std::string& error);
  bool Running(int node) const;
  // Cuts every connection to and from `node` (clients, replication, quorum) and refuses new ones; Heal undoes it.
  void Isolate(int node);
  void Heal(int node);
  // SIGSTOP / SIGCONT: the node keeps its sockets but answers nothing until thawed.
  void Freeze(int node);
  void Thaw(int node);

  // Leader node of each partition of `topic` as the metadata the cluster hands out says (-1: none); empty on error.
  std::map<int, int> PartitionLeaders(const std::string& topic) const;
  // End offset of each partition of `topic` (partitions that cannot be asked are left out).
  std::map<int, std::int64_t> EndOffsets(const std::string& topic) const;
  // Brokers the cluster's metadata lists (registered and not fenced), -1 on error.
  int RegisteredBrokers() const;
  // The node that leads the controller quorum (the active controller), asked with Kafka's own
  // metadata-quorum tool through the nodes in `through` (default: all); -1 when it cannot tell.
  int ActiveController(const std::vector<int>& through = {}) const;
  // True when every partition of `topic` has all kNodes replicas in sync.
  bool FullyReplicated(const std::string& topic) const;
  std::string LogText(int node) const;
  // The lines of node's server.log that contain `needle` (at most the last 40).
  std::string LogLines(int node, const std::string& needle) const;  // the tail of its stdout and server.log

 private:
  struct Node {
    std::uint16_t client_port = 0, controller_port = 0;
    std::array<std::uint16_t, kNodes + 1> peer_port{};  // FROM<M> listener (index M)
    pid_t pid = -1;
  };
  PrivateKafkaCluster() = default;
  std::string PropertiesOf(int node, const std::string& shared) const;
  void Launch(int node);
  bool WaitListening(int node, std::string& error);
  std::vector<TcpProxy*> ProxiesTouching(int node) const;

  std::string directory_;
  std::string libs_;
  std::array<Node, kNodes + 1> nodes_{};  // index 0 unused
  std::array<std::unique_ptr<TcpProxy>, kNodes + 1> client_proxy_;
  // [from][to]: replication traffic of `from` fetching from `to`, and quorum traffic of `from` to `to`.
  std::array<std::array<std::unique_ptr<TcpProxy>, kNodes + 1>, kNodes + 1> peer_proxy_, controller_proxy_;
  // The controller address each node advertises. A Kafka 4 quorum leader tells its followers its own
  // controller endpoint, and they fetch from that one rather than from their configured voter address: it
  // must be a proxy too, or a cut node keeps leading its followers through a path no proxy sees.
  std::array<std::unique_ptr<TcpProxy>, kNodes + 1> controller_ingress_proxy_;
};

}  // namespace orders::testing
