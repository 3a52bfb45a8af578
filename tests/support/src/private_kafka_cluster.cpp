#include <orders/testing/private_kafka_cluster.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <librdkafka/rdkafka.h>

#include <orders/testing/eventually.hpp>
#include <orders/testing/kafka_java.hpp>
#include <orders/testing/loopback.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/test_env.hpp>

namespace orders::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Address(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

// Metadata of `topic` (or of the cluster, for an empty topic) through `brokers`; nullptr on error.
using Metadata = std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)>;
Metadata FetchMetadata(const std::string& brokers, const std::string& topic) {
  Metadata none(nullptr, &rd_kafka_metadata_destroy);
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);  // a node that is down is expected here
  std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> handle(
      rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr), &rd_kafka_destroy);
  if (!handle) return none;
  rd_kafka_topic_t* subject = topic.empty() ? nullptr : rd_kafka_topic_new(handle.get(), topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  const auto status = rd_kafka_metadata(handle.get(), 0, subject, &metadata, 5000);
  if (subject) rd_kafka_topic_destroy(subject);
  if (status != RD_KAFKA_RESP_ERR_NO_ERROR) return none;
  return Metadata(metadata, &rd_kafka_metadata_destroy);
}

}  // namespace

std::unique_ptr<PrivateKafkaCluster> PrivateKafkaCluster::Create(std::string& error) {
  std::unique_ptr<PrivateKafkaCluster> cluster(new PrivateKafkaCluster());
  cluster->libs_ = KafkaLibs();
  if (!fs::exists(cluster->libs_)) {
    error = "no Kafka jars at " + cluster->libs_ + " (run ./infra/test.sh once)";
    return nullptr;
  }
  cluster->directory_ = (fs::temp_directory_path() / UniqueName("private-kafka-cluster")).string();
  // FreePort() releases the port it found, and a proxy's own listening port comes from the same pool: a node
  // could find its port taken by a proxy. Draw again until all are distinct.
  for (int attempt = 0;; ++attempt) {
    std::set<std::uint16_t> ports;
    for (int n = 1; n <= kNodes; ++n) {
      Node& node = cluster->nodes_[n];
      node.client_port = FreePort();
      node.controller_port = FreePort();
      ports.insert({node.client_port, node.controller_port});
      for (int from = 1; from <= kNodes; ++from) ports.insert(node.peer_port[from] = FreePort());
      cluster->client_proxy_[n] = std::make_unique<TcpProxy>(node.client_port);
      cluster->controller_ingress_proxy_[n] = std::make_unique<TcpProxy>(node.controller_port);
    }
    for (int from = 1; from <= kNodes; ++from) {
      for (int to = 1; to <= kNodes; ++to) {
        if (from == to) continue;
        cluster->peer_proxy_[from][to] = std::make_unique<TcpProxy>(cluster->nodes_[to].peer_port[from]);
        cluster->controller_proxy_[from][to] = std::make_unique<TcpProxy>(cluster->nodes_[to].controller_port);
      }
    }
    const std::size_t node_ports = ports.size();
    for (int n = 1; n <= kNodes; ++n) {
      ports.insert({cluster->client_proxy_[n]->port(), cluster->controller_ingress_proxy_[n]->port()});
    }
    for (int from = 1; from <= kNodes; ++from) {
      for (int to = 1; to <= kNodes; ++to) {
        if (from == to) continue;
        ports.insert({cluster->peer_proxy_[from][to]->port(), cluster->controller_proxy_[from][to]->port()});
      }
    }
    const std::size_t wanted = static_cast<std::size_t>(kNodes * (kNodes + 2) + 2 * kNodes + 2 * kNodes * (kNodes - 1));
    if (node_ports == static_cast<std::size_t>(kNodes * (kNodes + 2)) && ports.size() == wanted) break;
    if (attempt == 10) {
      error = "could not find distinct free ports for the private Kafka cluster";
      return nullptr;
    }
  }
  const std::string shared = ReadText(SourcePath("infra/local/kafka-cluster.properties.in"));
  std::array<pid_t, kNodes + 1> formats{};
  for (int n = 1; n <= kNodes; ++n) {  // in parallel: each is a JVM start of a few seconds
    const std::string node_directory = cluster->directory_ + "/node-" + std::to_string(n);
    fs::create_directories(node_directory + "/logs");
    std::ofstream(node_directory + "/kafka.properties") << cluster->PropertiesOf(n, shared);
    formats[n] = RunKafkaJava(cluster->libs_, node_directory,
                              {"kafka.tools.StorageTool", "format", "-t", "p3Nq-7_KSmu_zwGINzRvyQ", "-c",
                               node_directory + "/kafka.properties"},
                              node_directory + "/logs/stdout.log", false);
  }
  for (int n = 1; n <= kNodes; ++n) {
    int status = 0;
    ::waitpid(formats[n], &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      error = "Kafka storage format failed on node " + std::to_string(n) + ":\n" + cluster->LogText(n);
      return nullptr;
    }
  }
  // All at once: a node opens its client listener only once the controller quorum (two of three) is up.
  for (int n = 1; n <= kNodes; ++n) cluster->Launch(n);
  for (int n = 1; n <= kNodes; ++n) {
    if (!cluster->WaitListening(n, error)) return nullptr;
  }
  if (!Eventually([&] { return cluster->RegisteredBrokers() == kNodes; }, std::chrono::seconds(90),
                  std::chrono::milliseconds(250))) {
    error = "the private Kafka cluster did not register its three brokers:\n" + cluster->LogText(1);
    return nullptr;
  }
  return cluster;
}

PrivateKafkaCluster::~PrivateKafkaCluster() {
  for (int n = 1; n <= kNodes; ++n) Kill(n);
  std::error_code ignored;
  fs::remove_all(directory_, ignored);
}

std::string PrivateKafkaCluster::PropertiesOf(int n, const std::string& shared) const {
  std::string voters,
      listeners = "CLIENT://" + Address(nodes_[n].client_port) + ",CONTROLLER://" + Address(nodes_[n].controller_port);
  std::string advertised = "CLIENT://" + Address(client_proxy_[n]->port()) + ",CONTROLLER://" +
                           Address(controller_ingress_proxy_[n]->port());
  std::string protocols = "CLIENT:PLAINTEXT,CONTROLLER:PLAINTEXT";
  for (int m = 1; m <= kNodes; ++m) {
    const std::string peer = "FROM" + std::to_string(m);
    listeners += "," + peer + "://" + Address(nodes_[n].peer_port[m]);
    // FROM<n> on node n itself is never dialled; it exists because every node's inter-broker listener must.
    advertised += "," + peer + "://" + Address(m == n ? nodes_[n].peer_port[m] : peer_proxy_[m][n]->port());
    protocols += "," + peer + ":PLAINTEXT";
    if (!voters.empty()) voters += ",";
    voters += std::to_string(m) + "@" + Address(m == n ? nodes_[n].controller_port : controller_proxy_[n][m]->port());
  }
  std::string text = ReplaceAll(shared, "@NODE_ID@", std::to_string(n));
  text = ReplaceAll(text, "@VOTERS@", voters);
  text = ReplaceAll(text, "@LISTENERS@", listeners);
  text = ReplaceAll(text, "@ADVERTISED_LISTENERS@", advertised);
  text = ReplaceAll(text, "@INTER_BROKER_LISTENER@", "FROM" + std::to_string(n));
  text = ReplaceAll(text, "@PROTOCOL_MAP@", protocols);
  return ReplaceAll(text, "@KAFKA_DATA@", directory_ + "/node-" + std::to_string(n) + "/data");
}

std::string PrivateKafkaCluster::Brokers() const {
  std::string list;
  for (int n = 1; n <= kNodes; ++n) list += (list.empty() ? "" : ",") + Address(client_proxy_[n]->port());
  return list;
}

bool PrivateKafkaCluster::Start(int n, std::string& error) {
  Launch(n);
  return WaitListening(n, error);
}

void PrivateKafkaCluster::Launch(int n) {
  const std::string node_directory = directory_ + "/node-" + std::to_string(n);
  nodes_[n].pid = RunKafkaJava(libs_, node_directory, {"kafka.Kafka", node_directory + "/kafka.properties"},
                               node_directory + "/logs/stdout.log", false);
}

bool PrivateKafkaCluster::WaitListening(int n, std::string& error) {
  if (!Eventually([&] { return LoopbackPortOpen(nodes_[n].client_port); }, std::chrono::seconds(90),
                  std::chrono::milliseconds(100))) {
    error = "node " + std::to_string(n) + " of the private Kafka cluster did not start:\n" + LogText(n);
    return false;
  }
  return true;
}

void PrivateKafkaCluster::Kill(int n) {
  if (nodes_[n].pid <= 0) return;
  ::kill(nodes_[n].pid, SIGKILL);
  ::kill(nodes_[n].pid, SIGCONT);  // a frozen process dies only once it runs again
  ::waitpid(nodes_[n].pid, nullptr, 0);
  nodes_[n].pid = -1;
}

void PrivateKafkaCluster::Freeze(int n) {
  if (nodes_[n].pid > 0) ::kill(nodes_[n].pid, SIGSTOP);
}

void PrivateKafkaCluster::Thaw(int n) {
  if (nodes_[n].pid > 0) ::kill(nodes_[n].pid, SIGCONT);
}

bool PrivateKafkaCluster::Running(int n) const { return nodes_[n].pid > 0; }

std::vector<TcpProxy*> PrivateKafkaCluster::ProxiesTouching(int n) const {
  std::vector<TcpProxy*> proxies = {client_proxy_[n].get(), controller_ingress_proxy_[n].get()};
  for (int m = 1; m <= kNodes; ++m) {
    if (m == n) continue;
    for (const auto* kind : {&peer_proxy_, &controller_proxy_}) {
      proxies.push_back((*kind)[n][m].get());
      proxies.push_back((*kind)[m][n].get());
    }
  }
  return proxies;
}

void PrivateKafkaCluster::Isolate(int n) {
  for (auto* proxy : ProxiesTouching(n)) proxy->Cut();
}

void PrivateKafkaCluster::Heal(int n) {
  for (auto* proxy : ProxiesTouching(n)) proxy->Restore();
}

std::map<int, int> PrivateKafkaCluster::PartitionLeaders(const std::string& topic) const {
  std::map<int, int> leaders;
  const auto metadata = FetchMetadata(Brokers(), topic);
  if (!metadata || metadata->topic_cnt != 1 || metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) return leaders;
  for (int p = 0; p < metadata->topics[0].partition_cnt; ++p) {
    const auto& partition = metadata->topics[0].partitions[p];
    leaders[partition.id] = partition.leader;
  }
  return leaders;
}

std::map<int, std::int64_t> PrivateKafkaCluster::EndOffsets(const std::string& topic) const {
  std::map<int, std::int64_t> offsets;
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", Brokers().c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
  std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> handle(
      rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr), &rd_kafka_destroy);
  if (!handle) return offsets;
  for (const auto& [partition, leader] : PartitionLeaders(topic)) {
    std::int64_t low = 0, high = 0;
    if (leader >= 0 && rd_kafka_query_watermark_offsets(handle.get(), topic.c_str(), partition, &low, &high, 5000) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR) {
      offsets[partition] = high;
    }
  }
  return offsets;
}

bool PrivateKafkaCluster::FullyReplicated(const std::string& topic) const {
  const auto metadata = FetchMetadata(Brokers(), topic);
  if (!metadata || metadata->topic_cnt != 1 || metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
  for (int p = 0; p < metadata->topics[0].partition_cnt; ++p) {
    if (metadata->topics[0].partitions[p].isr_cnt != kNodes) return false;
  }
  return metadata->topics[0].partition_cnt > 0;
}

int PrivateKafkaCluster::RegisteredBrokers() const {
  const auto metadata = FetchMetadata(Brokers(), "");
  return metadata ? metadata->broker_cnt : -1;
}

int PrivateKafkaCluster::ActiveController(const std::vector<int>& through) const {
  std::string bootstrap;
  for (int n = 1; n <= kNodes; ++n) {
    if (!through.empty() && std::find(through.begin(), through.end(), n) == through.end()) continue;
    bootstrap += (bootstrap.empty() ? "" : ",") + Address(client_proxy_[n]->port());
  }
  const std::string output = directory_ + "/quorum-" + UniqueName("status") + ".txt";
  const int status = RunKafkaJava(
      libs_, directory_,
      {"org.apache.kafka.tools.MetadataQuorumCommand", "--bootstrap-server", bootstrap, "describe", "--status"}, output,
      true);
  const std::string text = ReadText(output);
  std::error_code ignored;
  fs::remove(output, ignored);
  std::smatch match;
  static const std::regex leader(R"(LeaderId:\s*(\d+))");
  if (status != 0 || !std::regex_search(text, match, leader)) return -1;
  return std::stoi(match[1].str());
}

std::string PrivateKafkaCluster::LogText(int n) const {
  const std::string logs = directory_ + "/node-" + std::to_string(n) + "/logs/";
  const std::string all = ReadText(logs + "stdout.log") + ReadText(logs + "server.log");
  // The errors first: a node that failed to start ends its log in pages of orderly shutdown.
  return LogLines(n, " ERROR ") + (all.size() > 3000 ? all.substr(all.size() - 3000) : all);
}

}  // namespace orders::testing

namespace orders::testing {

std::string PrivateKafkaCluster::LogLines(int n, const std::string& needle) const {
  std::ifstream in(directory_ + "/node-" + std::to_string(n) + "/logs/server.log");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) lines.push_back(line);
  }
  std::string text;
  for (std::size_t i = lines.size() > 40 ? lines.size() - 40 : 0; i < lines.size(); ++i) text += lines[i] + "\n";
  return text;
}

}  // namespace orders::testing
