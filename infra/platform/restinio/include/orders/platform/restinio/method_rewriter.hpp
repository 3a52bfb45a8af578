#pragma once
// RESTinio 0.6 parses requests with http_parser, which knows a fixed list of
// methods: on any other token (QUERY, BREW, FOO) it fails and RESTinio closes
// the connection without an answer. The rewriter sits between the socket and
// RESTinio (method_guard_socket.hpp) and replaces, at the start of every
// request, a method token that is not one of ours by kPlaceholderMethod, which
// http_parser knows and the router answers with 501 (router.hpp). So an
// unknown method gets its 501 at once and a keep-alive connection goes on.
//
// To find where each request starts it follows the framing: the head up to
// its blank line, then a Content-Length body. Anything it cannot follow with
// certainty (Transfer-Encoding, an Upgrade, a malformed or over-long line or
// token) switches it to passing bytes through untouched for the rest of the
// connection: then RESTinio's own parser decides, as before.
//
// Pure and single-threaded: one per connection.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace orders::platform::http {

inline constexpr std::string_view kPlaceholderMethod = "UNLINK";

class MethodRewriter {
 public:
  // The bytes to hand on for `input`; a method token cut by the end of
  // `input` is held back until the rest arrives.
  std::string Feed(std::string_view input);

  bool passing_through() const { return phase_ == Phase::kPassThrough; }

 private:
  enum class Phase { kStart, kMethod, kHead, kBody, kPassThrough };

  void EndOfLine();

  Phase phase_ = Phase::kStart;
  std::string token_;
  std::string line_;
  std::uint64_t content_length_ = 0;
  bool unframeable_ = false;  // Transfer-Encoding or Upgrade in this head
  std::uint64_t body_left_ = 0;
};

// The methods the HTTP APIs have; the rewriter keeps these, the router answers
// every other one with 501.
bool IsHttpApiMethod(std::string_view method);

}  // namespace orders::platform::http
