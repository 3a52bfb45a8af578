// Fuzzes codec::DecodeEvent, the decoder every consumer runs on Kafka records.
// Input layout (text, so seeds are readable): the record key, a newline, then
// header lines "name:value" up to an empty line, then the value (payload).
// Invariants: a refused record says why; a decoded event has the record's key
// as orderId, re-encodes, and decodes again to the same event and metadata;
// the fast path and the decoder through a JSON tree give the same answer.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <orders/codec/event_codec.hpp>

#include "fuzz_check.hpp"

namespace {

using orders::codec::Headers;

struct Record {
  std::string_view key;
  Headers headers;
  std::string_view value;
};

Record Split(std::string_view input) {
  Record record;
  auto line_end = input.find('\n');
  record.key = input.substr(0, line_end);
  input = line_end == std::string_view::npos ? std::string_view() : input.substr(line_end + 1);
  while (!input.empty()) {
    line_end = input.find('\n');
    const auto line = input.substr(0, line_end);
    input = line_end == std::string_view::npos ? std::string_view() : input.substr(line_end + 1);
    if (line.empty()) break;
    const auto colon = line.find(':');
    record.headers.emplace_back(std::string(line.substr(0, colon)),
                                colon == std::string_view::npos ? std::string() : std::string(line.substr(colon + 1)));
  }
  record.value = input;
  return record;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Record record = Split(std::string_view(reinterpret_cast<const char*>(data), size));
  const auto result = orders::codec::DecodeEvent(record.key, record.value, record.headers);
  const auto reference = orders::codec::DecodeEventThroughTree(record.key, record.value, record.headers);
  FUZZ_CHECK(result.error == reference.error, "both paths give the same error");
  FUZZ_CHECK(result.decoded.has_value() == reference.decoded.has_value(), "both paths accept the same records");
  FUZZ_CHECK(!result.decoded || (result.decoded->event == reference.decoded->event &&
                                 result.decoded->metadata == reference.decoded->metadata),
             "both paths decode the same event");
  if (!result.decoded) {
    FUZZ_CHECK(!result.error.empty(), "a refused record must say why");
    return 0;
  }
  FUZZ_CHECK(result.error.empty(), "a decoded record carries no error");
  const auto& decoded = *result.decoded;
  FUZZ_CHECK(orders::domain::OrderIdOf(decoded.event) == record.key, "the key is the orderId");
  FUZZ_CHECK(orders::domain::VersionOf(decoded.event) >= 1, "versions start at 1");

  const auto encoded = orders::codec::EncodeEvent(decoded.event, decoded.metadata);
  FUZZ_CHECK(encoded.key == record.key, "re-encoding keeps the key");
  const auto again = orders::codec::DecodeEvent(encoded.key, encoded.value, encoded.headers);
  FUZZ_CHECK(again.decoded.has_value(), "a re-encoded event decodes");
  FUZZ_CHECK(again.decoded->event == decoded.event, "decode(encode(e)) == e");
  FUZZ_CHECK(again.decoded->metadata == decoded.metadata, "metadata survives the round trip");
  const auto twice = orders::codec::EncodeEvent(again.decoded->event, again.decoded->metadata);
  FUZZ_CHECK(twice.value == encoded.value && twice.headers == encoded.headers, "encoding is deterministic");
  return 0;
}
