#pragma once
// A tiny HTTP server on a loopback port that answers every GET with one
// document (e.g. a JWKS) — for tests of clients that fetch over HTTP. Stop()
// closes the port (a source that is down); Start() opens it again on the same port.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace orders::testing {

class DocumentServer {
 public:
  DocumentServer();
  ~DocumentServer();
  DocumentServer(const DocumentServer&) = delete;
  DocumentServer& operator=(const DocumentServer&) = delete;

  bool Start();  // false when the port cannot be bound
  void Stop();
  void SetDocument(std::string document);
  std::uint16_t port() const { return port_; }
  std::string Url(const std::string& path = "/jwks.json") const;
  int requests() const { return requests_.load(); }

 private:
  void Serve(int listener);

  std::uint16_t port_ = 0;
  std::mutex mutex_;
  std::string document_;
  std::atomic<int> listener_{-1};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace orders::testing
