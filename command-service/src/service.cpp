#include <orders/command/service.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <orders/command/command_processor.hpp>
#include <orders/command/deadline_appender.hpp>
#include <orders/command/deadline_timer.hpp>
#include <orders/command/group_writer_directory.hpp>
#include <orders/command/inventory_processor.hpp>
#include <orders/command/kafka_appender.hpp>
#include <orders/command/log_follower.hpp>
#include <orders/command/order_snapshots.hpp>
#include <orders/command/own_appends.hpp>
#include <orders/command/partition_ownership.hpp>
#include <orders/command/payment/make_payment_gateway.hpp>
#include <orders/command/payment_config.hpp>
#include <orders/command/retention_config.hpp>
#include <orders/command/rocksdb_state_store.hpp>
#include <orders/command/stock_book.hpp>
#include <orders/command/stock_snapshots.hpp>
#include <orders/command/wall_clock.hpp>
#include <orders/command/work_queue.hpp>
#include <orders/command/workflow.hpp>
#include <orders/platform/kafka_producer.hpp>
#include <orders/platform/kafka_properties.hpp>
#include <orders/platform/log.hpp>
#include <orders/platform/uuid.hpp>
#include "http/http_api.hpp"

namespace orders::command {

struct CommandService::Parts {
  platform::MetricsRegistry metrics;
  // Runs the commands that waited for an order, never on a Kafka delivery callback's thread.
  WorkQueue waiting_commands;
  OrderBook book{[this](std::function<void()> work) { waiting_commands.Post(std::move(work)); }};
  // With COMMAND_STATE_DIR: the local state store and the orders fold kept in it (after the book, before its users).
  std::unique_ptr<CommandStateStore> state_store;
  std::unique_ptr<OrderSnapshots> snapshots;
  // Appends folded at their acknowledgement, which the followers then pass over (own_appends.hpp).
  OwnAppends own_orders;
  OwnAppends own_stocks;
  std::unique_ptr<platform::KafkaProducer> producer;
  std::unique_ptr<KafkaAppender> appender;
  // Commands see the appenders through the answer deadline (deadline_appender.hpp); the
  // followers, markers and ownership see the Kafka appenders themselves.
  ThreadDeadlineTimer deadlines;
  std::unique_ptr<DeadlineAppender> answered_appender;
  std::unique_ptr<CommandProcessor> processor;
  std::unique_ptr<LogFollower> follower;
  std::unique_ptr<PartitionOwnership> ownership;
  // The inventory stream: the same machinery on its own topic, writer group and book.
  StockBook stocks{[this](std::function<void()> work) { waiting_commands.Post(std::move(work)); }};
  std::unique_ptr<StockSnapshots> stock_snapshots;  // with COMMAND_STATE_DIR: the inventory fold in the store
  std::unique_ptr<KafkaAppender> inventory_appender;
  std::unique_ptr<DeadlineAppender> answered_inventory_appender;
  std::unique_ptr<LogFollower> inventory_follower;
  std::unique_ptr<PartitionOwnership> inventory_ownership;
  std::unique_ptr<InventoryProcessor> inventory;
  // Where other instances' orders and products are forwarded (each writer group's members and their addresses).
  std::unique_ptr<GroupWriterDirectory> writers;
  std::shared_ptr<CommandForwarder> forwarder;
  std::unique_ptr<GroupWriterDirectory> inventory_writers;
  std::shared_ptr<CommandForwarder> inventory_forwarder;
  std::unique_ptr<HttpApi> http;
  std::atomic<bool> kafka_reachable{false};
  std::atomic<bool> stopping{false};
  std::thread connectivity_checker;
  // Read and checked at start so a bad WORKFLOW or PAYMENT_* value stops the service before it serves.
  PaymentConfig payment;
  std::unique_ptr<PaymentGateway> gateway;
  std::unique_ptr<Workflow> workflow;  // null with WORKFLOW=off
};

namespace {

// How long a command waits for Kafka's acknowledgement before it is answered 503 with its outcome unknown
// (the order is fenced until the log markers settle it). The producer itself keeps the record.
constexpr std::chrono::milliseconds kAnswerDeadline{3000};

// Every problem of a settings group in one start-up error.
std::string Joined(const std::vector<std::string>& problems) {
  std::string joined;
  for (const auto& problem : problems) joined += (joined.empty() ? "" : "; ") + problem;
  return joined;
}

}  // namespace

CommandService::CommandService(platform::ServiceConfig config)
    : config_(std::move(config)), parts_(std::make_unique<Parts>()) {}

CommandService::~CommandService() { Stop(); }

platform::Result<std::uint16_t> CommandService::Start() {
  auto payment = LoadPaymentConfig(platform::ProcessEnvironment());
  if (!payment.config) return platform::Fail("invalid payment settings: " + Joined(payment.problems));
  parts_->payment = std::move(*payment.config);
  auto retention = LoadRetentionConfig(platform::ProcessEnvironment());
  if (!retention.config) return platform::Fail("invalid retention settings: " + Joined(retention.problems));
  parts_->book.SetKeyRetention(retention.config->idempotency_retention);
  if (auto opened = OpenStateStore(*retention.config); !opened) return opened.error();
  auto authenticator = platform::Authenticator::Start(config_.auth);
  if (!authenticator) return authenticator.error();
  Parts& parts = *parts_;
  // The producer never times a record out (kafka_settings.cpp); a command's wait ends at kAnswerDeadline.
  const auto producer_settings = platform::KafkaClientSettings(config_.kafka_brokers, config_.kafka_properties,
                                                               "command-service", "", {{"request.timeout.ms", "2500"}});
  auto producer = platform::KafkaProducer::Create(producer_settings);
  if (!producer) return platform::Fail("cannot create the Kafka producer: " + producer.error().message);
  parts.producer = std::move(*producer);
  parts.appender = std::make_unique<KafkaAppender>(*parts.producer, config_.orders_topic, parts.metrics);
  parts.answered_appender = std::make_unique<DeadlineAppender>(
      *parts.appender, parts.deadlines, kAnswerDeadline,
      &parts.metrics.AddCounter("orders_command_append_deadline_exceeded_total",
                                "Appends answered as unknown because Kafka had not acknowledged them in time",
                                {{"stream", "orders"}}));
  parts.follower = std::make_unique<LogFollower>(
      platform::KafkaClientSettings(config_.kafka_brokers, config_.kafka_properties, "command-service-follower", "",
                                    platform::kBatchedFetch),
      config_.orders_topic, parts.book, *parts.appender, parts.metrics);
  if (parts.snapshots) parts.follower->UseSnapshots(*parts.snapshots);
  parts.follower->SkipOwnAppends(parts.own_orders);
  parts.ownership = std::make_unique<PartitionOwnership>(
      platform::KafkaClientSettings(config_.kafka_brokers, config_.kafka_properties, "command-service-writer",
                                    WriterGroupOf(config_.orders_topic)),
      config_.orders_topic, *parts.follower,
      [appender = parts.appender.get()](platform::Partition partition) { return appender->InFlight(partition); });

  parts.processor = std::make_unique<CommandProcessor>(ProcessorDeps{
      parts.book, *parts.answered_appender, SystemNow, [] { return platform::NewUuid(); }, "/command-service",
      [ownership = parts.ownership.get()](const std::string& order_id) {
        return ownership->WritablePartition(order_id);
      },
      parts.payment.workflow,
      [ownership = parts.ownership.get()](const std::optional<std::string>& idempotency_key) {
        return ownership->NewOrderId(idempotency_key);
      },
      &parts.own_orders});

  StartInventory();
  if (parts.payment.workflow) {
    StartWorkflow();
  } else {
    platform::LogInfo("fulfilment workflow off (WORKFLOW=off): orders stay pending until someone moves them");
  }
  // Reading the logs starts once everything that listens to them is in place.
  // The writer groups are joined once the API listens: the memberships advertise its address.
  parts.follower->Start();
  parts.inventory_follower->Start();

  parts.connectivity_checker = std::thread([&parts, topic = config_.orders_topic] {
    while (!parts.stopping) {
      parts.kafka_reachable = parts.producer->CheckConnectivity(topic, 1000);
      for (int i = 0; i < 10 && !parts.stopping; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  auto& orders_gauge = parts.metrics.AddGauge("orders_command_orders", "Orders held in the command state");
  auto& keys_gauge =
      parts.metrics.AddGauge("orders_command_idempotency_keys", "Idempotency keys remembered (IDEMPOTENCY_RETENTION)");
  auto& in_flight = parts.metrics.AddGauge("orders_command_appends_in_flight", "Events waiting for Kafka");
  auto& owned = parts.metrics.AddGauge("orders_command_owned_partitions", "Partitions this instance writes");
  parts.metrics.AddCollector([&parts, &orders_gauge, &keys_gauge, &in_flight, &owned] {
    orders_gauge.Set(static_cast<double>(parts.book.OrderCount()));
    keys_gauge.Set(static_cast<double>(parts.book.KeyCount()));
    owned.Set(static_cast<double>(parts.ownership->OwnedCount()));
    in_flight.Set(static_cast<double>(parts.producer->InFlight()));
  });

  auto writers = GroupWriterDirectory::Start(
      platform::KafkaClientSettings(config_.kafka_brokers, config_.kafka_properties, "command-service-directory"),
      WriterGroupOf(config_.orders_topic), config_.orders_topic, parts.metrics, {{"stream", "orders"}});
  if (!writers) return writers.error();
  parts.writers = std::move(*writers);
  parts.forwarder = std::make_shared<CommandForwarder>(
      *parts.writers, [&parts] { return parts.follower->PartitionCount(); }, ForwarderSettings{}, parts.metrics,
      platform::Labels{{"stream", "orders"}});
  auto inventory_writers = GroupWriterDirectory::Start(
      platform::KafkaClientSettings(config_.kafka_brokers, config_.kafka_properties,
                                    "command-service-inventory-directory"),
      WriterGroupOf(config_.inventory_topic), config_.inventory_topic, parts.metrics, {{"stream", "inventory"}});
  if (!inventory_writers) return inventory_writers.error();
  parts.inventory_writers = std::move(*inventory_writers);
  parts.inventory_forwarder = std::make_shared<CommandForwarder>(
      *parts.inventory_writers, [&parts] { return parts.inventory_follower->PartitionCount(); }, ForwarderSettings{},
      parts.metrics, platform::Labels{{"stream", "inventory"}});

  parts.http = std::make_unique<HttpApi>(HttpApiDeps{
      *parts.processor, parts.book, *parts.inventory, parts.stocks,
      [&parts] { return parts.inventory_follower->CaughtUp(); }, parts.metrics,
      [&parts] {
        // The workflow decides on stock: with it on, the service is ready once it has read the inventory
        // topic too.
        const bool stock_read = !parts.workflow || parts.inventory_follower->CaughtUp();
        return parts.follower->CaughtUp() && stock_read && parts.kafka_reachable.load() &&
               parts.ownership->ReadyToWrite();
      },
      platform::OriginRulesOf(config_), std::move(*authenticator), config_.rate_limits,
      config_.max_connections ? config_.max_connections : 1024, parts.forwarder,
      [&parts](const std::string& order_id) { return parts.ownership->WritablePartition(order_id).has_value(); },
      parts.inventory_forwarder,
      [&parts](const std::string& product_id) {
        return parts.inventory_ownership->WritablePartition(product_id).has_value();
      }});
  auto port = parts.http->Start(config_.bind_address, config_.port);
  if (!port) return port;
  const std::string url = AdvertisedUrl(*port);
  parts.forwarder->SetSelfUrl(url);
  parts.inventory_forwarder->SetSelfUrl(url);
  parts.ownership->Advertise(AdvertisingClientId("command-service-writer", url));
  parts.ownership->Start();
  parts.inventory_ownership->Advertise(AdvertisingClientId("command-service-inventory-writer", url));
  parts.inventory_ownership->Start();
  platform::LogInfo("commands for orders and products other instances write are forwarded to them",
                    {{"advertisedUrl", url}});
  return port;
}

std::string CommandService::AdvertisedUrl(std::uint16_t port) const {
  if (!config_.advertised_url.empty()) return config_.advertised_url;
  std::string host = config_.bind_address;
  if (host.empty() || host == "0.0.0.0" || host == "::") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port);
}

// Inventory commands are refused (503) until this instance owns the product's
// partition and has read it. With WORKFLOW=off the service's readiness does
// not wait for the inventory topic, so orders work where it was never created.
platform::Result<void> CommandService::OpenStateStore(const RetentionConfig& retention) {
  if (!retention.state_dir) {
    platform::LogInfo(
        "no state store (COMMAND_STATE_DIR unset): the whole orders and inventory logs are replayed at start and "
        "every order stays in memory");
    return {};
  }
  std::error_code error;
  std::filesystem::create_directories(*retention.state_dir, error);
  if (error) return platform::Fail("cannot create COMMAND_STATE_DIR " + *retention.state_dir + ": " + error.message());
  auto store = RocksDbStateStore::Open(*retention.state_dir);
  if (!store) return store.error();
  parts_->state_store = std::move(*store);
  parts_->snapshots = std::make_unique<OrderSnapshots>(
      *parts_->state_store, parts_->book,
      SnapshotSettings{config_.orders_topic, retention.order_retention, retention.idempotency_retention},
      parts_->metrics);
  parts_->stock_snapshots = std::make_unique<StockSnapshots>(
      *parts_->state_store, parts_->stocks, StockSnapshotSettings{config_.inventory_topic}, parts_->metrics);
  platform::LogInfo(
      "state store open: start-up resumes from its checkpoint; finished orders leave memory after "
      "ORDER_RETENTION",
      {{"directory", *retention.state_dir},
       {"orderRetentionSeconds", std::chrono::duration_cast<std::chrono::seconds>(retention.order_retention).count()}});
  return {};
}

void CommandService::StartInventory() {
  Parts& parts = *parts_;
  const std::string& topic = config_.inventory_topic;
  const platform::Labels stream{{"stream", "inventory"}};
  parts.inventory_appender = std::make_unique<KafkaAppender>(*parts.producer, topic, parts.metrics, stream);
  parts.answered_inventory_appender = std::make_unique<DeadlineAppender>(
      *parts.inventory_appender, parts.deadlines, kAnswerDeadline,
      &parts.metrics.AddCounter("orders_command_append_deadline_exceeded_total",
                                "Appends answered as unknown because Kafka had not acknowledged them in time", stream));
  parts.inventory_follower = std::make_unique<LogFollower>(
      platform::KafkaClientSettings(config_.kafka_brokers, config_.kafka_properties,
                                    "command-service-inventory-follower", "", platform::kBatchedFetch),
      topic, parts.stocks, *parts.inventory_appender, parts.metrics, stream);
  if (parts.stock_snapshots) parts.inventory_follower->UseSnapshots(*parts.stock_snapshots);
  parts.inventory_follower->SkipOwnAppends(parts.own_stocks);
  parts.inventory_ownership = std::make_unique<PartitionOwnership>(
      platform::KafkaClientSettings(config_.kafka_brokers, config_.kafka_properties, "command-service-inventory-writer",
                                    WriterGroupOf(topic)),
      topic, *parts.inventory_follower, [appender = parts.inventory_appender.get()](platform::Partition partition) {
        return appender->InFlight(partition);
      });
  parts.inventory = std::make_unique<InventoryProcessor>(
      InventoryDeps{parts.stocks, *parts.answered_inventory_appender, SystemNow, [] { return platform::NewUuid(); },
                    "/command-service",
                    [ownership = parts.inventory_ownership.get()](const std::string& product_id) {
                      return ownership->WritablePartition(product_id);
                    },
                    [&parts](const std::string& order_id) { return parts.book.TraceOf(order_id); }, &parts.own_stocks});
}

// Both books tell the workflow about every event they fold, so it must listen
// before the followers read anything; it acts once both logs are read.
void CommandService::StartWorkflow() {
  Parts& parts = *parts_;
  parts.gateway = MakePaymentGateway(parts.payment);
  parts.workflow = std::make_unique<Workflow>(WorkflowDeps{
      parts.book, parts.stocks, *parts.processor, *parts.inventory, *parts.gateway,
      [&parts](const std::string& order_id) { return parts.ownership->WritablePartition(order_id).has_value(); },
      [&parts](const std::string& product_id) {
        return parts.inventory_ownership->WritablePartition(product_id).has_value();
      },
      [&parts](std::chrono::steady_clock::time_point moment) { return parts.inventory_follower->ReadThrough(moment); },
      [&parts] { return parts.follower->CaughtUp() && parts.inventory_follower->CaughtUp(); }, SystemNow, parts.metrics,
      WorkflowSettings{parts.payment.payment_timeout}});
  parts.book.SetApplyListener([workflow = parts.workflow.get()](const std::string& id) { workflow->Touch(id); });
  parts.stocks.SetApplyListener([workflow = parts.workflow.get()](const std::string& id) { workflow->Touch(id); });
  parts.inventory_follower->SetReadThroughListener([workflow = parts.workflow.get()] { workflow->StockReadThrough(); });
  parts.workflow->Start();
  platform::LogInfo("fulfilment workflow on",
                    {{"paymentGateway", parts.payment.kind == PaymentConfig::Kind::kHttp ? "http" : "simulator"},
                     {"paymentTimeoutSeconds",
                      std::chrono::duration_cast<std::chrono::seconds>(parts.payment.payment_timeout).count()}});
}

void CommandService::Stop() {
  Parts& parts = *parts_;
  if (parts.stopping.exchange(true)) return;
  platform::LogInfo("stopping: refusing new requests, answering the commands in flight");
  // First the workflow takes no new step, and the gateway answers the calls in flight as failures (the next
  // owner asks again with the same idempotency key); their events, like the clients', are flushed below.
  if (parts.workflow) parts.workflow->Stop();
  if (parts.gateway) parts.gateway->Stop();
  // Answers first, then the endpoint: commands whose events are already on
  // their way to the log get their answer, not a reset connection.
  const std::chrono::milliseconds grace = std::chrono::seconds(config_.shutdown_grace_seconds);
  if (parts.http && !parts.http->Drain(grace)) {
    platform::LogWarn("some commands were still unanswered when the shutdown grace ran out",
                      {{"graceSeconds", config_.shutdown_grace_seconds}});
  }
  if (parts.http) parts.http->Stop();
  parts.forwarder.reset();
  parts.writers.reset();
  parts.inventory_forwarder.reset();
  parts.inventory_writers.reset();
  if (parts.producer && !parts.producer->Flush(std::max(1000, static_cast<int>(grace.count())))) {
    platform::LogWarn("some events were still in flight at shutdown", {{"inFlight", parts.producer->InFlight()}});
  }
  parts.waiting_commands.Stop();  // runs what still waits (the endpoint is gone: their answers go nowhere)
  // The producer never gives up on a record by itself. What it still holds is failed now, before the writer
  // groups are left: once another instance writes these partitions, nothing of ours may still be on its way.
  // A purged record is never sent again (a request already on the wire may still land: it is the one copy).
  if (parts.producer && parts.producer->InFlight() > 0) {
    platform::LogWarn("purging the events still in flight at shutdown", {{"inFlight", parts.producer->InFlight()}});
    parts.producer->Purge();
  }
  if (parts.connectivity_checker.joinable()) parts.connectivity_checker.join();
  if (parts.ownership) parts.ownership->Stop();  // leave the writer group: another instance takes over at once
  if (parts.inventory_ownership) parts.inventory_ownership->Stop();
  if (parts.follower) parts.follower->Stop();
  if (parts.inventory_follower) parts.inventory_follower->Stop();
  parts.producer.reset();
}

}  // namespace orders::command
