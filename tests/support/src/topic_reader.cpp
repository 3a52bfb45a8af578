#include <orders/testing/topic_reader.hpp>

#include <cstdio>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/test_env.hpp>

namespace orders::testing {
namespace {

std::unique_ptr<platform::KafkaConsumer> NewConsumer() {
  auto consumer = platform::KafkaConsumer::Create({KafkaBrokers(), UniqueName("test-reader"), "", {}});
  if (!consumer) throw std::runtime_error("cannot create consumer: " + consumer.error().message);
  return std::move(*consumer);
}

}  // namespace

std::vector<platform::ConsumedRecord> ReadWholeTopic(const std::string& topic) {
  auto consumer = NewConsumer();
  const auto ends = consumer->EndOffsets(topic, 10000);
  if (!ends) throw std::runtime_error("no metadata for " + topic);
  auto assigned = consumer->AssignAll(
      topic, [](platform::Partition) { return platform::kOffsetBeginning; }, 10000);
  if (!assigned) throw std::runtime_error(assigned.error().message);
  std::vector<platform::ConsumedRecord> records;
  platform::PartitionOffsets positions;
  auto done = [&] {
    for (const auto& [partition, end] : *ends) {
      if (positions[partition] < end) return false;
    }
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    auto polled = consumer->Poll(100);
    if (polled.kind == platform::PollResult::Kind::kRecord || polled.kind == platform::PollResult::Kind::kMarker) {
      positions[polled.record.partition] = polled.record.offset + 1;
      if (polled.kind == platform::PollResult::Kind::kRecord) records.push_back(std::move(polled.record));
    } else if (polled.kind == platform::PollResult::Kind::kPartitionEnd) {
      positions[polled.record.partition] = std::max(positions[polled.record.partition], polled.record.offset);
    }
  }
  if (!done()) throw std::runtime_error("could not read " + topic + " to its end");
  return records;
}

std::int64_t TotalEndOffset(const std::string& topic) {
  auto consumer = NewConsumer();
  const auto ends = consumer->EndOffsets(topic, 10000);
  if (!ends) throw std::runtime_error("no metadata for " + topic);
  std::int64_t total = 0;
  for (const auto& [partition, end] : *ends) total += end;
  return total;
}

std::string ToJsonLines(const std::vector<platform::ConsumedRecord>& records) {
  std::string lines;
  for (const auto& record : records) {
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [name, value] : record.headers) headers[name] = value;
    lines += nlohmann::json{{"key", record.key}, {"headers", headers}, {"value", record.value}}.dump(
                 -1, ' ', false, nlohmann::json::error_handler_t::replace) +
             "\n";
  }
  return lines;
}

std::string ValidateAgainstSchemas(const std::vector<platform::ConsumedRecord>& records, bool& ok) {
  const auto result = RunPythonTool("tests/tools/validate_events.py", "schemas/json", ToJsonLines(records));
  ok = result.exit_status == 0;
  return result.output;
}

}  // namespace orders::testing
