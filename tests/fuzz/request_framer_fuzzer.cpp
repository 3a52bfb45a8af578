// Fuzzes the command service's RequestFramer (request_framer.hpp), which cuts
// one connection's bytes into whole requests before Pistache sees them. The
// first input byte seeds the cut of the reads; the rest is the connection.
// Small limits, so that every limit is within the fuzzer's reach.
// Invariants:
//   - the cut of the reads changes nothing: the same requests, the same
//     refusal (status, title, detail), whether the bytes come at once or in
//     pieces (while they fit the buffer limit);
//   - requests are the bytes exactly as sent, in order, with only blank lines
//     (CRLF pairs) between them; consumed + still buffered never exceeds what
//     was fed;
//   - no request exceeds max_request_bytes, no head exceeds max_head_bytes,
//     no head has more than max_header_fields fields;
//   - a request framed again on its own is exactly one request;
//   - a refusal has a documented status and a fixed, short, printable detail;
//     it empties the buffer and sticks (later bytes change nothing).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <orders/command/request_framer.hpp>

#include "fuzz_check.hpp"

namespace {

using orders::command::FramerLimits;
using orders::command::FramingRefusal;
using orders::command::RequestFramer;
using Kind = RequestFramer::Result::Kind;

constexpr FramerLimits kLimits{/*max_head_bytes=*/512, /*max_header_fields=*/8, /*max_request_bytes=*/2048,
                               /*max_buffered_bytes=*/4096};

struct Outcome {
  std::vector<std::string> requests;
  std::optional<FramingRefusal> refusal;
  std::size_t consumed = 0;  // bytes of the emitted requests
};

bool IsPrintable(std::string_view text) {
  for (const char c : text) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

void CheckRefusal(const FramingRefusal& refusal) {
  const int s = refusal.status;
  FUZZ_CHECK(s == 400 || s == 413 || s == 431 || s == 501 || s == 505, "a refusal has a documented status");
  FUZZ_CHECK(!refusal.title.empty() && IsPrintable(refusal.title), "a refusal has a title");
  FUZZ_CHECK(!refusal.detail.empty() && refusal.detail.size() <= 120 && IsPrintable(refusal.detail),
             "a refusal's detail is short, printable, fixed text");
}

void CheckRequest(std::string_view request) {
  FUZZ_CHECK(request.size() <= kLimits.max_request_bytes, "no request exceeds max_request_bytes");
  const auto head_end = request.find("\r\n\r\n");
  FUZZ_CHECK(head_end != std::string_view::npos, "a request has a whole head");
  FUZZ_CHECK(head_end + 4 <= kLimits.max_head_bytes, "no head exceeds max_head_bytes");
  FUZZ_CHECK(request.substr(0, 2) != "\r\n", "blank lines before a request are not part of it");
  std::size_t lines = 0;
  for (std::size_t at = request.find("\r\n"); at < head_end; at = request.find("\r\n", at + 2)) ++lines;
  FUZZ_CHECK(lines <= kLimits.max_header_fields, "no head has more than max_header_fields fields");
}

// Calls Next() until it needs more bytes or refuses, as a connection does after each read.
void Drain(RequestFramer& framer, Outcome& outcome, std::size_t fed) {
  for (std::size_t calls = 0;; ++calls) {
    FUZZ_CHECK(calls <= fed + 1, "Next() comes to kNeedMore");
    auto result = framer.Next();
    if (result.kind == Kind::kNeedMore) break;
    if (result.kind == Kind::kRefused) {
      CheckRefusal(result.refusal);
      FUZZ_CHECK(framer.buffered() == 0, "a refusal empties the buffer");
      outcome.refusal = result.refusal;
      return;
    }
    FUZZ_CHECK(!result.request.empty(), "a request is not empty");
    CheckRequest(result.request);
    outcome.consumed += result.request.size();
    outcome.requests.push_back(std::move(result.request));
  }
  FUZZ_CHECK(outcome.consumed + framer.buffered() <= fed, "consumed and buffered bytes never exceed fed bytes");
  FUZZ_CHECK((fed - outcome.consumed - framer.buffered()) % 2 == 0, "only CRLF pairs are dropped");
}

// A small generator for the lengths of the reads, seeded by the input.
std::size_t NextPiece(std::uint32_t& state) {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  switch (state % 8) {
    case 0:
      return 1;
    case 1:
      return 2;
    case 2:
      return 1 + (state >> 8) % 600;
    default:
      return 1 + (state >> 8) % 40;
  }
}

Outcome Frame(std::string_view bytes, std::optional<std::uint32_t> seed) {
  RequestFramer framer(kLimits);
  Outcome outcome;
  std::uint32_t state = seed.value_or(1) * 2654435761u + 1;
  std::size_t fed = 0;
  while (fed < bytes.size() && !outcome.refusal) {
    const std::size_t piece = seed ? std::min(NextPiece(state), bytes.size() - fed) : bytes.size();
    framer.Append(bytes.substr(fed, piece));
    fed += piece;
    Drain(framer, outcome, fed);
  }
  if (outcome.refusal) {
    framer.Append("GET / HTTP/1.1\r\n\r\n");
    const auto again = framer.Next();
    FUZZ_CHECK(again.kind == Kind::kRefused && again.refusal.status == outcome.refusal->status &&
                   again.refusal.detail == outcome.refusal->detail && framer.buffered() == 0,
               "a refusal sticks");
  }
  return outcome;
}

bool SameRefusal(const std::optional<FramingRefusal>& a, const std::optional<FramingRefusal>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->status == b->status && a->title == b->title && a->detail == b->detail);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint32_t seed = data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  const Outcome pieces = Frame(bytes, seed);

  // The requests are the connection's bytes, in order, with only blank lines between them.
  std::size_t at = 0;
  for (const auto& request : pieces.requests) {
    while (bytes.compare(at, 2, "\r\n") == 0) at += 2;
    FUZZ_CHECK(bytes.substr(at, request.size()) == request, "a request is its bytes exactly as sent");
    at += request.size();

    // A request framed on its own is exactly that one request.
    RequestFramer alone(kLimits);
    alone.Append(request);
    const auto first = alone.Next();
    FUZZ_CHECK(first.kind == Kind::kRequest && first.request == request, "a request frames alone to itself");
    FUZZ_CHECK(alone.Next().kind == Kind::kNeedMore && alone.buffered() == 0, "a request frames to one request");
  }

  if (bytes.size() <= kLimits.max_buffered_bytes) {
    const Outcome whole = Frame(bytes, std::nullopt);
    FUZZ_CHECK(whole.requests == pieces.requests, "the cut of the reads does not change the requests");
    FUZZ_CHECK(SameRefusal(whole.refusal, pieces.refusal), "the cut of the reads does not change the refusal");
  }
  return 0;
}
