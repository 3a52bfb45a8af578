#pragma once
// The vocabulary of positions in a Kafka topic, one spelling for every service.
#include <cstdint>
#include <map>

namespace orders::platform {

using Partition = std::int32_t;  // a partition number of one topic
using Offset = std::int64_t;     // a record's offset, or the next offset to read, in one partition

// Per partition, an offset (what the sentence using it says: next to read, last applied, end).
using PartitionOffsets = std::map<Partition, Offset>;

}  // namespace orders::platform
