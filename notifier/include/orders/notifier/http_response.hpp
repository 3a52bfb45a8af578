#pragma once
// The HTTP/1.1 client side the notifier needs to relay a command API answer:
// the URL of the command API and an incremental response reader (status,
// Content-Length or chunked body, keep-alive). Pure; the socket work is in
// CommandApiClient.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace orders::notifier {

struct HttpEndpoint {
  std::string host;
  std::string port = "80";
  std::string base_path;    // without a trailing slash; "" for the root
  std::string host_header;  // host[:port]: the port only when it is not 80
};

// http://host[:port][/base] (orders::platform::ParseHttpUrl); nullopt for anything else (no https, no
// credentials, no query or fragment).
std::optional<HttpEndpoint> ParseHttpUrl(std::string_view url);

class HttpResponseReader {
 public:
  enum class State { kIncomplete, kComplete, kBad };

  explicit HttpResponseReader(std::size_t max_bytes = 1 << 20) : max_bytes_(max_bytes) {}

  // Feeds bytes read from the socket.
  State Feed(std::string_view bytes);
  // The peer closed the connection: a body delimited by the close ends here.
  State FeedEnd();

  int status() const { return status_; }
  const std::string& body() const { return body_; }
  // Whether the connection may carry another request.
  bool keep_alive() const { return keep_alive_; }
  bool received_anything() const { return received_ > 0; }

 private:
  State ParseHead(std::string_view head);
  State Progress();

  std::size_t max_bytes_;
  std::size_t received_ = 0;
  std::string buffer_;
  bool head_done_ = false;
  int status_ = 0;
  std::optional<std::size_t> content_length_;
  bool chunked_ = false;
  bool keep_alive_ = true;
  std::string body_;
  State state_ = State::kIncomplete;
};

}  // namespace orders::notifier
