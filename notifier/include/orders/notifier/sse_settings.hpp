#pragma once
// Settings of GET /events, read once at start from the environment. Pure.
//
//   SSE_HEARTBEAT_MS  comment heartbeat period on a quiet stream, default 15000
//                     (100-600000); tests shorten it
//   SSE_RETRY_MS      the reconnect delay suggested to EventSource (retry:),
//                     default 3000 (100-600000)

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orders::notifier {

struct SseSettings {
  std::chrono::milliseconds heartbeat{15000};
  std::chrono::milliseconds retry{3000};
};

struct SseSettingsResult {
  std::optional<SseSettings> settings;
  std::vector<std::string> problems;  // empty when settings is set
};

SseSettingsResult LoadSseSettings(const std::map<std::string, std::string>& environment);

}  // namespace orders::notifier
