#pragma once
// Runs tests/support/payment_gateway_stub.py as its own process on a free
// loopback port, and scripts it: Script({"mode":"fail","times":3}), Calls().
// The process is ended when the object goes.

#include <sys/types.h>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace orders::testing {

class PaymentGatewayStub {
 public:
  PaymentGatewayStub();  // starts the process; port() is 0 when it could not
  ~PaymentGatewayStub();
  PaymentGatewayStub(const PaymentGatewayStub&) = delete;
  PaymentGatewayStub& operator=(const PaymentGatewayStub&) = delete;

  std::uint16_t port() const { return port_; }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }

  void Script(const nlohmann::json& script);
  void Reset();
  // {"requests": {key: n}, "charges": {key: n}, "refunds": {key: n}, "total": n}
  nlohmann::json Calls();

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace orders::testing
