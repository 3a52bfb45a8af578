#pragma once
// The pure parts of `projection-service rebuild` (rebuild.hpp): schema names,
// how far the replay is, when to switch, and the progress line. No I/O.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <orders/projection/offset_fence.hpp>

namespace orders::projection {

// <schema>__rebuild: where the replay goes.
std::string RebuildSchemaName(const std::string& schema);
// <schema>__retired_YYYYMMDDTHHMMSSZ: where the previous tables go at the switch.
std::string RetiredSchemaName(const std::string& schema, std::chrono::system_clock::time_point at);
// An error text when the derived names would exceed PostgreSQL's 63 bytes.
std::optional<std::string> CheckSchemaNameFitsRebuild(const std::string& schema);

// Records of the topic not yet applied: the sum over partitions of end minus committed.
std::int64_t Remaining(const StoredOffsets& committed, const StoredOffsets& ends);
std::int64_t Total(const StoredOffsets& offsets);
// True when every partition of `target` is committed at least that far.
bool Reached(const StoredOffsets& committed, const StoredOffsets& target);

// "rebuild: 52.3% 523,112 of 1,000,000 records applied, 61,200 records/s, about 8 s left"
std::string ProgressLine(std::int64_t applied, std::int64_t end, double records_per_second);
// 1234567 -> "1,234,567"
std::string Grouped(std::int64_t value);

}  // namespace orders::projection
