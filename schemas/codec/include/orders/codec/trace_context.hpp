#pragma once
// W3C Trace Context: the `traceparent` a client sends with a command travels
// with its event as a Kafka header of the same name, so every service can
// log the trace id with the work it does for that event.
//   traceparent = "00-" <32 hex trace-id> "-" <16 hex parent-id> "-" <2 hex flags>
// Lower-case hex; an all-zero trace or parent id is invalid, as is version ff.
// A later version is read by its first four fields, as the recommendation asks.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orders::codec {

inline constexpr std::string_view kTraceParentHeader = "traceparent";

struct TraceParent {
  std::string trace_id;   // 32 lower-case hex digits
  std::string parent_id;  // 16 lower-case hex digits: the span that caused what follows
  std::uint8_t flags = 0;

  friend bool operator==(const TraceParent&, const TraceParent&) = default;
};

std::optional<TraceParent> ParseTraceParent(std::string_view text);
std::string FormatTraceParent(const TraceParent& trace);  // always version 00

// The trace id of a traceparent the codec accepted (what logs carry as traceId).
inline std::string TraceIdOf(const std::string& trace_parent) { return trace_parent.substr(3, 32); }

// A new trace (random ids, flags 01: recorded).
TraceParent NewTrace();
// The same trace with a new span of ours as the parent of what follows.
TraceParent ChildSpan(const TraceParent& parent);

}  // namespace orders::codec
