#pragma once
// Reads every record of a topic from the beginning up to its current end,
// for checks of what the services appended.

#include <map>
#include <string>
#include <vector>

#include <orders/platform/kafka_consumer.hpp>

namespace orders::testing {

std::vector<platform::ConsumedRecord> ReadWholeTopic(const std::string& topic);
// Sum of the end offsets over all partitions: how many records were ever appended.
std::int64_t TotalEndOffset(const std::string& topic);

// Records as JSON lines {"key","headers":{},"value"} for tests/tools/validate_events.py.
std::string ToJsonLines(const std::vector<platform::ConsumedRecord>& records);
// Runs the schema validator on the records; returns its output, sets `ok`.
std::string ValidateAgainstSchemas(const std::vector<platform::ConsumedRecord>& records, bool& ok);

}  // namespace orders::testing
