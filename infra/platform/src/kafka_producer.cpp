#include <orders/platform/kafka_producer.hpp>

#include <chrono>

#include <librdkafka/rdkafka.h>
#include <vector>

#include <orders/platform/log.hpp>

namespace orders::platform {

class KafkaProducer::Callbacks : public RdKafka::DeliveryReportCb, public RdKafka::EventCb {
 public:
  explicit Callbacks(KafkaProducer& owner) : owner_(owner) {}

  void dr_cb(RdKafka::Message& message) override {
    std::unique_ptr<DeliveryCallback> callback(static_cast<DeliveryCallback*>(message.msg_opaque()));
    DeliveryReport report;
    report.partition = message.partition();
    report.offset = message.offset();
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      report.outcome = DeliveryReport::Outcome::kPersisted;
    } else {
      report.error = RdKafka::err2str(message.err());
      report.outcome = message.status() == RdKafka::Message::MSG_STATUS_NOT_PERSISTED
                           ? DeliveryReport::Outcome::kNotPersisted
                           : DeliveryReport::Outcome::kUnknown;
    }
    owner_.in_flight_.fetch_sub(1);
    if (callback && *callback) (*callback)(report);
  }

  void event_cb(RdKafka::Event& event) override {
    if (event.type() != RdKafka::Event::EVENT_ERROR) return;
    if (event.fatal()) {
      owner_.fatal_ = true;
      LogError("kafka producer fatal error; it will be re-created", {{"error", event.str()}});
    } else if (event.err() != RdKafka::ERR__TRANSPORT && event.err() != RdKafka::ERR__ALL_BROKERS_DOWN) {
      LogWarn("kafka producer error", {{"error", event.str()}});
    }
  }

 private:
  KafkaProducer& owner_;
};

namespace {

Result<std::shared_ptr<RdKafka::Producer>> NewProducer(const KafkaSettings& settings, RdKafka::DeliveryReportCb* dr,
                                                       RdKafka::EventCb* events) {
  auto conf = MakeProducerConf(settings);
  if (!conf) return conf.error();
  std::string error;
  if ((*conf)->set("dr_cb", dr, error) != RdKafka::Conf::CONF_OK) return Fail(error);
  if ((*conf)->set("event_cb", events, error) != RdKafka::Conf::CONF_OK) return Fail(error);
  std::shared_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), error));
  if (!producer) return Fail(error);
  return producer;
}

}  // namespace

KafkaProducer::KafkaProducer(KafkaSettings settings) : settings_(std::move(settings)) {}

Result<std::unique_ptr<KafkaProducer>> KafkaProducer::Create(const KafkaSettings& settings) {
  std::unique_ptr<KafkaProducer> self(new KafkaProducer(settings));
  self->callbacks_ = std::make_unique<Callbacks>(*self);
  auto producer = NewProducer(settings, self->callbacks_.get(), self->callbacks_.get());
  if (!producer) return producer.error();
  self->producer_ = std::move(*producer);
  self->poller_ = std::thread([raw = self.get()] { raw->PollLoop(); });
  return self;
}

namespace {

// Fails every record `producer` still holds and runs their delivery callbacks
// on this thread. Never call it holding the producer's mutex: a callback may
// produce again.
void Drain(RdKafka::Producer& producer) {
  producer.purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
  producer.flush(1000);
  producer.poll(0);
}

}  // namespace

KafkaProducer::~KafkaProducer() {
  Flush(5000);
  stop_ = true;
  if (poller_.joinable()) poller_.join();
  std::shared_ptr<RdKafka::Producer> last;
  {
    std::lock_guard lock(mutex_);
    last = std::move(producer_);
  }
  if (last) Drain(*last);
}

Result<std::shared_ptr<RdKafka::Producer>> KafkaProducer::Recreate() {
  auto fresh = NewProducer(settings_, callbacks_.get(), callbacks_.get());
  if (!fresh) return fresh.error();
  auto old = std::move(producer_);
  producer_ = std::move(*fresh);
  fatal_ = false;
  ++recreations_;
  LogWarn("kafka producer re-created after a fatal error");
  return old;
}

Result<std::shared_ptr<RdKafka::Producer>> KafkaProducer::Current() {
  std::shared_ptr<RdKafka::Producer> producer;
  std::shared_ptr<RdKafka::Producer> replaced;
  {
    std::lock_guard lock(mutex_);
    // Only while the destructor drains the last instance: a delivery callback producing again.
    if (!producer_) return Fail("the Kafka producer is shut down");
    if (fatal_) {
      // The flag may come from an instance already replaced: ask the current one.
      std::string reason;
      if (producer_->fatal_error(reason) == RdKafka::ERR_NO_ERROR) {
        fatal_ = false;
      } else if (auto recreated = Recreate(); !recreated) {
        return recreated.error();
      } else {
        replaced = std::move(*recreated);
      }
    }
    producer = producer_;
  }
  // The replaced instance fails its records; their callbacks run here,
  // outside the lock, and may produce again (onto the fresh instance).
  if (replaced) Drain(*replaced);
  return producer;
}

int KafkaProducer::ProduceOn(RdKafka::Producer& producer, const std::string& topic, Partition partition,
                             const std::string& key, const std::string& value, const KafkaHeaders& headers,
                             DeliveryCallback on_delivery) {
  RdKafka::Headers* kafka_headers = RdKafka::Headers::create();
  for (const auto& [name, header_value] : headers) kafka_headers->add(name, header_value);
  auto* callback = new DeliveryCallback(std::move(on_delivery));
  in_flight_.fetch_add(1);
  const RdKafka::ErrorCode code = producer.produce(
      topic, partition == kAnyPartition ? RdKafka::Topic::PARTITION_UA : partition, RdKafka::Producer::RK_MSG_COPY,
      const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0, kafka_headers, callback);
  if (code == RdKafka::ERR_NO_ERROR) return code;
  in_flight_.fetch_sub(1);
  delete callback;
  delete kafka_headers;  // ownership passes to librdkafka only on success
  if (code == RdKafka::ERR__FATAL) fatal_ = true;
  return code;
}

Result<void> KafkaProducer::Produce(const std::string& topic, Partition partition, const std::string& key,
                                    const std::string& value, const KafkaHeaders& headers,
                                    DeliveryCallback on_delivery) {
  Error error;
  // A fatal state can be noticed here (ERR__FATAL) before the error event
  // reaches the poll thread: then re-create at once and try the fresh instance.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto producer = Current();
    if (!producer) return producer.error();
    const int code = ProduceOn(**producer, topic, partition, key, value, headers, on_delivery);
    if (code == RdKafka::ERR_NO_ERROR) return {};
    error = Fail(RdKafka::err2str(static_cast<RdKafka::ErrorCode>(code)));
    if (code != RdKafka::ERR__FATAL) return error;
  }
  return error;
}

std::size_t KafkaProducer::ProduceInOrder(const std::string& topic, Partition partition,
                                          const std::vector<OrderedRecord>& records) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto producer = Current();
    if (!producer) return 0;
    // One instance for all of them: a fresh one (after a fatal error) would
    // take a later record while an earlier one may be lost with the old.
    std::size_t queued = 0;
    int code = RdKafka::ERR_NO_ERROR;
    for (const auto& record : records) {
      // A copy: a refused record is tried again on a fresh instance, callback and all.
      code = ProduceOn(**producer, topic, partition, record.key, record.value, record.headers, record.on_delivery);
      if (code != RdKafka::ERR_NO_ERROR) break;
      ++queued;
    }
    if (queued > 0 || code != RdKafka::ERR__FATAL) return queued;
  }
  return 0;
}

bool KafkaProducer::Flush(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return in_flight_.load() == 0;
}

void KafkaProducer::Purge() {
  std::shared_ptr<RdKafka::Producer> producer;
  {
    std::lock_guard lock(mutex_);
    producer = producer_;
  }
  if (producer) Drain(*producer);
}

bool KafkaProducer::CheckConnectivity(const std::string& topic, int timeout_ms) {
  std::shared_ptr<RdKafka::Producer> producer;
  {
    std::lock_guard lock(mutex_);
    producer = producer_;
  }
  std::string error;
  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(producer.get(), topic, nullptr, error));
  if (!handle) return false;
  RdKafka::Metadata* metadata = nullptr;
  const auto code = producer->metadata(false, handle.get(), &metadata, timeout_ms);
  std::unique_ptr<RdKafka::Metadata> owned(metadata);
  if (code != RdKafka::ERR_NO_ERROR || !metadata) return false;
  for (const auto* topic_metadata : *metadata->topics()) {
    if (topic_metadata->topic() == topic && topic_metadata->err() == RdKafka::ERR_NO_ERROR) return true;
  }
  return false;
}

bool KafkaProducer::TriggerFatalErrorForTesting() {
  std::lock_guard lock(mutex_);
  return rd_kafka_test_fatal_error(producer_->c_ptr(), RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                   "injected by a test") == RD_KAFKA_RESP_ERR_NO_ERROR;
}

void KafkaProducer::PollLoop() {
  while (!stop_) {
    std::shared_ptr<RdKafka::Producer> producer;
    {
      std::lock_guard lock(mutex_);
      producer = producer_;
    }
    producer->poll(20);
  }
}

}  // namespace orders::platform
