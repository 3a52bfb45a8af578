#include <orders/platform/restinio/method_rewriter.hpp>

#include <algorithm>
#include <cctype>

namespace orders::platform::http {
namespace {

constexpr std::size_t kMaxToken = 32;
constexpr std::size_t kMaxLine = 16 * 1024;

bool IsTokenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char expected, char actual) {
           return std::tolower(static_cast<unsigned char>(actual)) == expected;
         });
}

}  // namespace

bool IsHttpApiMethod(std::string_view method) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"}) {
    if (method == known) return true;
  }
  return false;
}

void MethodRewriter::EndOfLine() {
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  if (line_.empty()) {
    // The blank line: the head is complete.
    if (unframeable_) {
      phase_ = Phase::kPassThrough;
    } else if (content_length_ > 0) {
      body_left_ = content_length_;
      phase_ = Phase::kBody;
    } else {
      phase_ = Phase::kStart;
    }
    content_length_ = 0;
    return;
  }
  if (StartsWithIgnoringCase(line_, "content-length:")) {
    std::string_view value(line_);
    value.remove_prefix(15);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (value.empty() || value.size() > 15 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        (content_length_ > 0 && content_length_ != std::stoull(std::string(value)))) {
      unframeable_ = true;
    } else {
      content_length_ = std::stoull(std::string(value));
    }
  } else if (StartsWithIgnoringCase(line_, "transfer-encoding:") || StartsWithIgnoringCase(line_, "upgrade:")) {
    unframeable_ = true;
  }
  line_.clear();
}

std::string MethodRewriter::Feed(std::string_view input) {
  std::string out;
  out.reserve(input.size() + kPlaceholderMethod.size());
  std::size_t i = 0;
  while (i < input.size()) {
    const char c = input[i];
    switch (phase_) {
      case Phase::kPassThrough:
        out.append(input.substr(i));
        return out;
      case Phase::kBody: {
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, input.size() - i));
        out.append(input.substr(i, take));
        i += take;
        body_left_ -= take;
        if (body_left_ == 0) phase_ = Phase::kStart;
        continue;
      }
      case Phase::kStart:
        if (c == '\r' || c == '\n') {  // empty lines between requests
          out += c;
          ++i;
          continue;
        }
        phase_ = Phase::kMethod;
        unframeable_ = false;
        content_length_ = 0;
        continue;
      case Phase::kMethod:
        if (IsTokenChar(c) && token_.size() < kMaxToken) {
          token_ += c;
          ++i;
          continue;
        }
        if (c == ' ' && !token_.empty()) {
          out += IsHttpApiMethod(token_) ? token_ : std::string(kPlaceholderMethod);
          token_.clear();
          phase_ = Phase::kHead;
          line_.assign("request-line ");
          out += c;
          ++i;
          continue;
        }
        // Not a method token: RESTinio's parser refuses it as before.
        out += token_;
        token_.clear();
        phase_ = Phase::kPassThrough;
        continue;
      case Phase::kHead:
        out += c;
        ++i;
        if (c == '\n') {
          EndOfLine();
        } else if (line_.size() < kMaxLine) {
          line_ += c;
        } else {
          phase_ = Phase::kPassThrough;
        }
        continue;
    }
  }
  return out;
}

}  // namespace orders::platform::http
