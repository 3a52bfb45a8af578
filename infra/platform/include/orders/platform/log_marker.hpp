#pragma once
// Log markers: records a writer appends to a partition of an event topic to
// learn where its own earlier appends ended up (see the command service's
// UncertaintySettler). A marker carries no event: a record with this header
// and an empty value. KafkaConsumer::Poll reports one as PollResult::kMarker,
// never as a record, so no reader of ours folds, projects, forwards or counts
// it as undecodable, and each moves its position past it; readers of the
// topics outside this code base must skip records with the header too.

#include <string_view>

#include <orders/platform/kafka_settings.hpp>

namespace orders::platform {

inline constexpr std::string_view kLogMarkerHeader = "orders-log-marker";

inline bool IsLogMarker(const KafkaHeaders& headers) {
  for (const auto& [name, value] : headers) {
    if (name == kLogMarkerHeader) return true;
  }
  return false;
}

}  // namespace orders::platform
