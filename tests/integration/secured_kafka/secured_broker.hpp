#pragma once
// A throw-away single-node Kafka (KRaft) whose only listener for clients is
// SASL_SSL: a test CA and a broker certificate for 127.0.0.1 are made with the
// openssl command line at set-up. The SASL mechanism is PLAIN (users in the
// listener's JAAS configuration) or SCRAM-SHA-512 (users written into the log
// directory when it is formatted). The controller quorum listens on a second
// loopback port (PLAINTEXT, the node talking to itself; clients are never
// told about it). Both ports are free ones the kernel picks.
//
// PLAIN runs the broker every other test runs (KafkaLibs()). SCRAM runs a
// Kafka 3.9 broker (Kafka39Libs()): from 4.0 on, brokers require the nonce in
// a SCRAM client's final message to equal the one they sent, and librdkafka
// before 2.6.1 (Debian 12 has 2.0.2) puts its own nonce in front of it once
// more, so a 4.x broker answers "invalid credentials" whatever the password.
// The 3.9 line checks only that the nonce ends with the one it sent.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace orders::testing {

class SecuredBroker {
 public:
  static constexpr const char* kUser = "orders-services";
  enum class Mechanism { kScramSha512, kPlain };
  static std::unique_ptr<SecuredBroker> Create(std::string& error, Mechanism mechanism);
  ~SecuredBroker();

  SecuredBroker(const SecuredBroker&) = delete;
  SecuredBroker& operator=(const SecuredBroker&) = delete;

  std::string Brokers() const;
  std::string CaFile() const { return directory_ + "/ca.pem"; }
  const std::string& password() const { return password_; }
  // librdkafka properties of a client of this broker (kUser, the CA), as property names.
  std::map<std::string, std::string> ClientProperties() const;
  std::string directory() const { return directory_; }
  std::string LogText() const;

 private:
  SecuredBroker() = default;
  bool MakeCertificates(std::string& error);

  std::string directory_, libs_, password_, mechanism_;
  std::uint16_t port_ = 0, controller_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace orders::testing
