#include <orders/codec/event_topics.hpp>

#include <algorithm>
#include <array>
#include <iterator>

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

// A header value as a JSON string: plain text as it is, anything else through the JSON writer
// (escapes, and invalid UTF-8 replaced as DumpJson does).
void AppendJsonString(std::string& out, const std::string& text) {
  const bool plain = std::all_of(text.begin(), text.end(),
                                 [](unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
  if (plain) {
    out.push_back('"');
    out.append(text);
    out.push_back('"');
    return;
  }
  out.append(DumpJson(Json(text)));
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
  // Written out rather than parsed and dumped again (this runs for every event an endpoint
  // wants): the payload is checked to be JSON and goes in as it came, the attributes in the order
  // a dump of the object puts them. A payload the services wrote (DumpJson) comes out the same
  // bytes as through a dump.
  static constexpr std::pair<std::string_view, std::string_view> kAttributes[] = {
      {"id", "ce_id"}, {"source", "ce_source"}, {"subject", "ce_subject"}, {"time", "ce_time"}, {"type", "ce_type"}};
  const std::string* found[std::size(kAttributes)] = {};
  std::size_t size = value.size() + 128;
  for (std::size_t i = 0; i < std::size(kAttributes); ++i) {
    found[i] = FindHeader(headers, kAttributes[i].second);
    if (found[i] == nullptr || found[i]->empty()) return std::nullopt;
    size += found[i]->size() + 16;
  }
  if (value.size() > kMaxEventBytes || !Json::accept(value.begin(), value.end())) return std::nullopt;
  std::string event;
  event.reserve(size);
  event.append(R"({"data":)").append(value).append(R"(,"datacontenttype":"application/json")");
  for (std::size_t i = 0; i < std::size(kAttributes); ++i) {
    if (kAttributes[i].first == "subject") event.append(R"(,"specversion":"1.0")");
    event.append(",\"").append(kAttributes[i].first).append("\":");
    AppendJsonString(event, *found[i]);
  }
  event.push_back('}');
  return event;
}

}  // namespace orders::codec
