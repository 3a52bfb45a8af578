#include <orders/codec/json_read.hpp>

#include <orders/codec/time_format.hpp>

#include <algorithm>

namespace orders::codec {

std::optional<Json> ParseJson(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) return std::nullopt;
  Json value = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

std::string DumpJson(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

const Json* FieldReader::Find(const char* name, bool required) {
  auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) {
    if (required) errors_.push_back({Path(name), "is required"});
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> FieldReader::String(const char* name, bool required) {
  const Json* value = Find(name, required);
  if (!value) return std::nullopt;
  if (!value->is_string()) {
    errors_.push_back({Path(name), "must be a string"});
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::optional<std::int64_t> FieldReader::Integer(const char* name, bool required) {
  const Json* value = Find(name, required);
  if (!value) return std::nullopt;
  if (value->is_number_integer()) {
    if (value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      errors_.push_back({Path(name), "is out of range"});
      return std::nullopt;
    }
    return value->get<std::int64_t>();
  }
  errors_.push_back({Path(name), "must be an integer"});
  return std::nullopt;
}

const Json* FieldReader::Array(const char* name, bool required) {
  const Json* value = Find(name, required);
  if (!value) return nullptr;
  if (!value->is_array()) {
    errors_.push_back({Path(name), "must be an array"});
    return nullptr;
  }
  return value;
}

void FieldReader::RejectUnknown(std::initializer_list<std::string_view> known) {
  for (const auto& [key, unused] : object_.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      errors_.push_back({Path(key), "is not a known field"});
    }
  }
}

std::int64_t FieldReader::EventVersion() {
  const auto version = Integer("version", true).value_or(0);
  if (version < 1) errors_.push_back({Path("version"), "must be >= 1"});
  return version;
}

domain::Timestamp FieldReader::EventTime() {
  const auto text = String("at", true);
  if (!text) return {};
  if (auto at = ParseTimestamp(*text)) return *at;
  errors_.push_back({Path("at"), "must be an RFC 3339 UTC timestamp"});
  return {};
}

}  // namespace orders::codec
