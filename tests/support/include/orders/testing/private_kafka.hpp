#pragma once
// A throw-away single-node Kafka (KRaft) for tests that kill the broker or cut
// the network to it: the shared broker of the local stack is never touched.
//
// Uses the broker jars the infra scripts resolved with Maven
// ($ORDERS_KAFKA_LIBS, else kafka-libs next to $ORDERS_KAFKA_PID_FILE, else
// .local/kafka-libs) and infra/local/kafka.properties.in. With
// `advertise_port`, clients are told to connect there (a TcpProxy in front of
// the broker), so every client connection can be cut.
//
// Kill() is SIGKILL; Start() brings it back on the same ports and log
// directory. The destructor kills it and removes the directory.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace orders::testing {

class PrivateKafka {
 public:
  // `port`: where to listen (default: a free port); `advertise_port`: see above.
  static std::unique_ptr<PrivateKafka> Create(std::string& error, std::optional<std::uint16_t> port = std::nullopt,
                                              std::optional<std::uint16_t> advertise_port = std::nullopt);
  ~PrivateKafka();

  PrivateKafka(const PrivateKafka&) = delete;
  PrivateKafka& operator=(const PrivateKafka&) = delete;

  std::uint16_t port() const { return port_; }  // where the broker listens
  std::string Brokers() const;                  // what clients use (the advertised address)
  bool Start(std::string& error);
  void Kill();
  std::string LogText() const;

 private:
  PrivateKafka() = default;

  std::string directory_;
  std::string libs_;
  std::uint16_t port_ = 0, controller_port_ = 0, advertised_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace orders::testing
