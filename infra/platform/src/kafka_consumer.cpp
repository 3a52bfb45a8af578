#include <orders/platform/kafka_consumer.hpp>

#include <librdkafka/rdkafka.h>

#include <future>
#include <thread>

#include <orders/platform/log.hpp>
#include <orders/platform/log_marker.hpp>

namespace orders::platform {
namespace {

std::vector<Partition> PartitionsOf(const std::vector<RdKafka::TopicPartition*>& partitions) {
  std::vector<Partition> ids;
  ids.reserve(partitions.size());
  for (const auto* partition : partitions) ids.push_back(partition->partition());
  return ids;
}

// The offset librdkafka is given. "From the beginning" is offset 0, not the
// logical BEGINNING, which makes the first fetch wait for an extra offset
// lookup after joining. Should offset 0 be gone from the log,
// auto.offset.reset=earliest (kafka_settings.cpp) starts at the log's start.
Offset LibrdkafkaOffset(Offset offset) { return offset == kOffsetBeginning ? 0 : offset; }

// Through the C API: the C++ wrapper's headers() detaches them into a new
// object and get_all() copies each into a vector of its own before we copy
// them again, for every record every reader reads.
KafkaHeaders CopyHeaders(const RdKafka::Message& message) {
  KafkaHeaders headers;
  rd_kafka_headers_t* source = nullptr;
  if (rd_kafka_message_headers(const_cast<RdKafka::Message&>(message).c_ptr(), &source) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return headers;
  headers.reserve(rd_kafka_header_cnt(source));
  const char* name = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  for (std::size_t i = 0; rd_kafka_header_get_all(source, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    headers.emplace_back(name, value ? std::string(static_cast<const char*>(value), size) : std::string());
  }
  return headers;
}

}  // namespace

class KafkaConsumer::Rebalancer : public RdKafka::RebalanceCb {
 public:
  PartitionListener* listener = nullptr;
  bool pause_assigned = false;

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      const auto offsets = listener ? listener->OnAssigned(PartitionsOf(partitions)) : PartitionOffsets{};
      for (auto* partition : partitions) {
        auto it = offsets.find(partition->partition());
        partition->set_offset(LibrdkafkaOffset(it == offsets.end() ? kOffsetBeginning : it->second));
      }
      consumer->assign(partitions);
      if (pause_assigned) consumer->pause(partitions);
    } else {
      if (listener) listener->OnRevoked(PartitionsOf(partitions));
      consumer->unassign();
    }
  }
};

Result<std::unique_ptr<KafkaConsumer>> KafkaConsumer::Create(const KafkaSettings& settings) {
  std::unique_ptr<KafkaConsumer> self(new KafkaConsumer());
  self->rebalancer_ = std::make_unique<Rebalancer>();
  auto conf = MakeConsumerConf(settings);
  if (!conf) return conf.error();
  std::string error;
  if ((*conf)->set("rebalance_cb", self->rebalancer_.get(), error) != RdKafka::Conf::CONF_OK) return Fail(error);
  self->consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
  if (!self->consumer_) return Fail(error);
  return self;
}

KafkaConsumer::~KafkaConsumer() { Close(5000); }

std::optional<int> KafkaConsumer::PartitionCount(const std::string& topic, int timeout_ms) {
  std::string error;
  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(consumer_.get(), topic, nullptr, error));
  if (!handle) return std::nullopt;
  RdKafka::Metadata* metadata = nullptr;
  const auto code = consumer_->metadata(false, handle.get(), &metadata, timeout_ms);
  std::unique_ptr<RdKafka::Metadata> owned(metadata);
  if (code != RdKafka::ERR_NO_ERROR || !metadata) return std::nullopt;
  for (const auto* topic_metadata : *metadata->topics()) {
    if (topic_metadata->topic() == topic && topic_metadata->err() == RdKafka::ERR_NO_ERROR) {
      return static_cast<int>(topic_metadata->partitions()->size());
    }
  }
  return std::nullopt;
}

Result<void> KafkaConsumer::AssignAll(const std::string& topic, const std::function<Offset(Partition)>& start_offset,
                                      int timeout_ms) {
  const auto count = PartitionCount(topic, timeout_ms);
  if (!count) return Fail("topic " + topic + " is not available");
  std::vector<RdKafka::TopicPartition*> partitions;
  for (int i = 0; i < *count; ++i)
    partitions.push_back(RdKafka::TopicPartition::create(topic, i, LibrdkafkaOffset(start_offset(i))));
  const auto code = consumer_->assign(partitions);
  RdKafka::TopicPartition::destroy(partitions);
  if (code != RdKafka::ERR_NO_ERROR) return Fail(RdKafka::err2str(code));
  return {};
}

Result<void> KafkaConsumer::Assign(const std::string& topic, Partition partition, Offset offset) {
  std::vector<RdKafka::TopicPartition*> partitions{
      RdKafka::TopicPartition::create(topic, partition, LibrdkafkaOffset(offset))};
  const auto code = consumer_->assign(partitions);
  RdKafka::TopicPartition::destroy(partitions);
  if (code != RdKafka::ERR_NO_ERROR) return Fail(RdKafka::err2str(code));
  return {};
}

Result<void> KafkaConsumer::Subscribe(const std::string& topic, PartitionListener& listener, bool membership_only) {
  rebalancer_->listener = &listener;
  rebalancer_->pause_assigned = membership_only;
  const auto code = consumer_->subscribe({topic});
  if (code != RdKafka::ERR_NO_ERROR) return Fail(RdKafka::err2str(code));
  return {};
}

PollResult KafkaConsumer::Poll(int timeout_ms) {
  std::unique_ptr<RdKafka::Message> message(consumer_->consume(timeout_ms));
  PollResult result;
  switch (message->err()) {
    case RdKafka::ERR_NO_ERROR: {
      result.kind = PollResult::Kind::kRecord;
      ConsumedRecord& record = result.record;
      record.topic = message->topic_name();
      record.partition = message->partition();
      record.offset = message->offset();
      if (message->key()) record.key = *message->key();
      record.value.assign(static_cast<const char*>(message->payload()), message->len());
      record.headers = CopyHeaders(*message);
      if (IsLogMarker(record.headers)) result.kind = PollResult::Kind::kMarker;
      record.timestamp_ms = message->timestamp().timestamp;
      return result;
    }
    case RdKafka::ERR__TIMED_OUT:
      result.kind = PollResult::Kind::kTimeout;
      return result;
    case RdKafka::ERR__PARTITION_EOF:
      result.kind = PollResult::Kind::kPartitionEnd;
      result.record.topic = message->topic_name();
      result.record.partition = message->partition();
      result.record.offset = message->offset();
      return result;
    default:
      result.kind = PollResult::Kind::kError;
      result.error = message->errstr();
      return result;
  }
}

std::optional<PartitionOffsets> KafkaConsumer::Watermarks(const std::string& topic, int timeout_ms, bool high_ones) {
  const auto count = PartitionCount(topic, timeout_ms);
  if (!count) return std::nullopt;
  PartitionOffsets offsets;
  for (int i = 0; i < *count; ++i) {
    Offset low = 0, high = 0;
    if (consumer_->query_watermark_offsets(topic, i, &low, &high, timeout_ms) != RdKafka::ERR_NO_ERROR) {
      return std::nullopt;
    }
    offsets[i] = high_ones ? high : low;
  }
  return offsets;
}

std::optional<PartitionOffsets> KafkaConsumer::EndOffsets(const std::string& topic, int timeout_ms) {
  return Watermarks(topic, timeout_ms, true);
}

std::optional<PartitionOffsets> KafkaConsumer::BeginOffsets(const std::string& topic, int timeout_ms) {
  return Watermarks(topic, timeout_ms, false);
}

PartitionOffsets KafkaConsumer::CachedEndOffsets(const std::string& topic, const std::vector<Partition>& partitions) {
  PartitionOffsets ends;
  for (const auto partition : partitions) {
    Offset low = RdKafka::Topic::OFFSET_INVALID, high = RdKafka::Topic::OFFSET_INVALID;
    if (consumer_->get_watermark_offsets(topic, partition, &low, &high) == RdKafka::ERR_NO_ERROR && high >= 0) {
      ends[partition] = high;
    }
  }
  return ends;
}

void KafkaConsumer::Close(int timeout_ms) {
  if (closed_ || !consumer_) return;
  closed_ = true;
  auto* consumer = consumer_.get();
  auto done = std::async(std::launch::async, [consumer] { consumer->close(); });
  if (done.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) {
    LogWarn("kafka consumer close timed out; leaving it behind");
    // Leak on purpose: destroying a consumer whose close() hangs would block too.
    (void)consumer_.release();
    std::thread([d = std::move(done)]() mutable { d.wait(); }).detach();
    return;
  }
  consumer_.reset();
}

}  // namespace orders::platform
