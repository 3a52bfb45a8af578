#include <orders/codec/event_topics.hpp>

#include <algorithm>
#include <array>

#include <orders/codec/inventory_codec.hpp>

namespace orders::codec {
namespace {

constexpr std::array<std::string_view, 13> kVersionedTypes = {
    kPlacedType,           kStatusChangedType,     kCourierAssignedType,    kCourierUnassignedType,
    kDeliveryDeclinedType, kPaymentAuthorizedType, kPaymentDeclinedType,    kPaymentRefundedType,
    kStockSetType,         kStockReservedType,     kReservationRefusedType, kStockReleasedType,
    kStockCommittedType};

constexpr std::string_view WithoutVersion(std::string_view type) { return type.substr(0, type.rfind('.')); }

constexpr std::array<std::string_view, kVersionedTypes.size()> NamesOf() {
  std::array<std::string_view, kVersionedTypes.size()> names{};
  for (std::size_t i = 0; i < names.size(); ++i) names[i] = WithoutVersion(kVersionedTypes[i]);
  return names;
}

constexpr auto kNames = NamesOf();

// "order.*" -> "order."; empty for anything that is not a stream wildcard.
std::string_view StreamPrefix(std::string_view pattern) {
  if (pattern == "order.*" || pattern == "inventory.*") return pattern.substr(0, pattern.size() - 1);
  return {};
}

}  // namespace

std::span<const std::string_view> EventNames() { return kNames; }

std::string_view EventNameOfType(std::string_view versioned_type) {
  const auto dot = versioned_type.rfind('.');
  if (dot == std::string_view::npos || dot + 1 >= versioned_type.size() || versioned_type[dot + 1] != 'v')
    return versioned_type;
  return versioned_type.substr(0, dot);
}

bool IsEventPattern(std::string_view pattern) {
  if (pattern.empty() || pattern.size() > kMaxEventPatternBytes) return false;
  if (pattern == "*" || !StreamPrefix(pattern).empty()) return true;
  return std::find(kNames.begin(), kNames.end(), pattern) != kNames.end();
}

bool MatchesEventPattern(std::string_view pattern, std::string_view event_name) {
  if (pattern == "*") return true;
  const std::string_view prefix = StreamPrefix(pattern);
  if (!prefix.empty()) return event_name.starts_with(prefix);
  return pattern == event_name;
}

std::optional<std::string> StructuredCloudEvent(std::string_view value, const Headers& headers) {
  Json event = Json::object();
  event["specversion"] = "1.0";
  static constexpr std::pair<std::string_view, std::string_view> kAttributes[] = {
      {"id", "ce_id"}, {"type", "ce_type"}, {"source", "ce_source"}, {"time", "ce_time"}, {"subject", "ce_subject"}};
  for (const auto& [attribute, header] : kAttributes) {
    const std::string* found = FindHeader(headers, header);
    if (found == nullptr || found->empty()) return std::nullopt;
    event[std::string(attribute)] = *found;
  }
  event["datacontenttype"] = "application/json";
  std::optional<Json> data = ParseJson(value, kMaxEventBytes);
  if (!data) return std::nullopt;
  event["data"] = std::move(*data);
  return DumpJson(event);
}

}  // namespace orders::codec
