#pragma once
// Bounded, exception-free JSON parsing and typed field readers that collect
// every problem as a FieldError instead of throwing. Used by the event decoder
// and by the services' request parsers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <orders/domain/order.hpp>
#include <orders/domain/validation.hpp>

namespace orders::codec {

using Json = nlohmann::json;

// Parses `text` when it is at most `max_bytes` and valid JSON (including
// valid UTF-8); nlohmann has no depth limit, so the size cap comes first.
std::optional<Json> ParseJson(std::string_view text, std::size_t max_bytes);

// Serialises without throwing on invalid UTF-8 (replaced by U+FFFD).
std::string DumpJson(const Json& value);

class FieldReader {
 public:
  FieldReader(const Json& object, std::string prefix = "") : object_(object), prefix_(std::move(prefix)) {}

  std::optional<std::string> String(const char* name, bool required);
  std::optional<std::int64_t> Integer(const char* name, bool required);
  // The fields every event payload has besides its key: `version` (>= 1) and `at` (RFC 3339 UTC).
  std::int64_t EventVersion();
  domain::Timestamp EventTime();
  const Json* Array(const char* name, bool required);
  // Names of members that are not in `known`.
  void RejectUnknown(std::initializer_list<std::string_view> known);

  std::vector<domain::FieldError>& errors() { return errors_; }

  std::string Path(std::string_view name) const { return prefix_ + std::string(name); }

 private:
  const Json* Find(const char* name, bool required);

  const Json& object_;
  std::string prefix_;
  std::vector<domain::FieldError> errors_;
};

}  // namespace orders::codec
