#pragma once
// Where a JWKS document comes from: the port the refresher reads through, so
// its logic is tested with an in-memory fake. Two adapters: a file (JWKS_FILE)
// and a plain http:// URL (JWKS_URL; https is not supported: keep a JWKS_FILE
// up to date instead, or put a local proxy in front).

#include <chrono>
#include <memory>
#include <string>

#include <orders/platform/result.hpp>

namespace orders::platform {

class JwksSource {
 public:
  virtual ~JwksSource() = default;
  // The document's text, or why it could not be read. May block (bounded).
  virtual Result<std::string> Fetch() = 0;
  // For logs: the file or URL.
  virtual std::string Describe() const = 0;
};

std::unique_ptr<JwksSource> FileJwksSource(std::string path);
// A blocking HTTP/1.0 GET; connecting and reading each give up after `timeout`.
std::unique_ptr<JwksSource> HttpJwksSource(std::string url, std::chrono::milliseconds timeout);

}  // namespace orders::platform
