#pragma once
// Structured logs: one JSON object per line on stderr,
// {"ts","level","service","msg", ...fields}. Thread-safe. Field values come
// from nlohmann::json so numbers stay numbers; invalid UTF-8 is replaced.
// Never log secrets or tokens.

#include <string_view>

#include <nlohmann/json.hpp>
#include <orders/platform/config.hpp>

namespace orders::platform {

using LogFields = nlohmann::json;  // an object, or null for none

void InitLogging(std::string_view service_name, LogLevel level);
bool LogEnabled(LogLevel level);
void Log(LogLevel level, std::string_view message, const LogFields& fields = nullptr);

inline void LogDebug(std::string_view message, const LogFields& fields = nullptr) {
  if (LogEnabled(LogLevel::kDebug)) Log(LogLevel::kDebug, message, fields);
}
inline void LogInfo(std::string_view message, const LogFields& fields = nullptr) {
  Log(LogLevel::kInfo, message, fields);
}
inline void LogWarn(std::string_view message, const LogFields& fields = nullptr) {
  Log(LogLevel::kWarn, message, fields);
}
inline void LogError(std::string_view message, const LogFields& fields = nullptr) {
  Log(LogLevel::kError, message, fields);
}

}  // namespace orders::platform
