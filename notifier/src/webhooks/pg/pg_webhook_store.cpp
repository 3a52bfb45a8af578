#include <orders/notifier/webhooks/pg_webhook_store.hpp>

#include <algorithm>
#include <set>
#include <span>
#include <utility>

#include <nlohmann/json.hpp>

#include <orders/notifier/webhooks/delivery_cursor.hpp>
#include <orders/notifier/webhooks/delivery_status.hpp>
#include <orders/platform/uuid.hpp>

#include "webhooks/pg/pg_session.hpp"
#include "webhooks/pg/webhook_migrations.hpp"

namespace orders::notifier::webhooks {
namespace {

// Times cross the wire as microseconds since the epoch (exact both ways;
// extract() is numeric since PostgreSQL 14).
#define ORDERS_AT(param) "('epoch'::timestamptz + (" param ")::bigint * interval '1 microsecond')"
#define ORDERS_US(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

// Creates take (kCapLock, hashtext(schema)) for their transaction: counting and inserting under it
// is what keeps concurrent creates from both passing the cap.
constexpr int kCapLock = 1852798069;

const char* const kEndpointColumns = "id, url, array_to_json(events)::text, description, secret, " ORDERS_US(
    "created_at") ", " ORDERS_US("failing_since") ", disabled, disabled_reason";

Endpoint EndpointOf(const pqxx::row& row) {
  Endpoint endpoint;
  endpoint.id = row[0].as<std::string>();
  endpoint.url = row[1].as<std::string>();
  for (const auto& event : nlohmann::json::parse(row[2].as<std::string>())) endpoint.events.push_back(event);
  endpoint.description = row[3].as<std::string>();
  endpoint.secret = row[4].as<std::string>();
  endpoint.created_at = FromMicros(row[5].as<std::int64_t>());
  if (!row[6].is_null()) endpoint.failing_since = FromMicros(row[6].as<std::int64_t>());
  endpoint.disabled = row[7].as<bool>();
  endpoint.disabled_reason = row[8].as<std::string>();
  return endpoint;
}

const char* const kDeliveryColumns =
    "endpoint_id, event_id, event_type, subject, topic, partition, \"offset\", body, " ORDERS_US(
        "event_time") ", status, attempts, " ORDERS_US("next_attempt_at") ", last_http_status, last_error, " ORDERS_US("updated_at") ", trace_parent";

Delivery DeliveryOf(const pqxx::row& row) {
  Delivery delivery;
  delivery.endpoint_id = row[0].as<std::string>();
  delivery.event_id = row[1].as<std::string>();
  delivery.event_type = row[2].as<std::string>();
  delivery.subject = row[3].as<std::string>();
  delivery.topic = row[4].as<std::string>();
  delivery.partition = row[5].as<std::int32_t>();
  delivery.offset = row[6].as<std::int64_t>();
  delivery.body = row[7].as<std::string>();
  delivery.event_time = FromMicros(row[8].as<std::int64_t>());
  delivery.status = ParseDeliveryStatus(row[9].as<std::string>()).value_or(DeliveryStatus::kPending);
  delivery.attempts = row[10].as<int>();
  delivery.next_attempt_at = FromMicros(row[11].as<std::int64_t>());
  delivery.last_http_status = row[12].as<int>();
  delivery.last_error = row[13].as<std::string>();
  delivery.updated_at = FromMicros(row[14].as<std::int64_t>());
  delivery.trace_parent = row[15].as<std::string>();
  return delivery;
}

// An int[] literal: "{0,3,5}".
std::string IntArray(const std::vector<std::int32_t>& values) {
  std::string text = "{";
  for (std::size_t i = 0; i < values.size(); ++i) text += (i ? "," : "") + std::to_string(values[i]);
  return text + "}";
}

class PgEndpointRegistry : public EndpointRegistry {
 public:
  explicit PgEndpointRegistry(const PgStoreOptions& options)
      : session_(options.database_url, options.schema), max_endpoints_(options.max_endpoints) {}

  std::optional<Endpoint> Create(Endpoint endpoint) override {
    return session_.Run([&](pqxx::connection& connection) -> std::optional<Endpoint> {
      pqxx::work tx(connection);
      tx.exec_params("SELECT pg_advisory_xact_lock($1, hashtext($2))", kCapLock, session_.schema());
      const auto count = tx.exec1("SELECT count(*) FROM endpoints")[0].as<std::int64_t>();
      if (count >= static_cast<std::int64_t>(max_endpoints_)) return std::nullopt;
      endpoint.id = "ep_" + platform::NewUuid();
      const auto created = tx.exec_params1(
          "INSERT INTO endpoints (id, url, events, description, secret, created_at)"
          " VALUES ($1, $2, ARRAY(SELECT json_array_elements_text($3::json)), $4, $5, now())"
          " RETURNING " ORDERS_US("created_at"),
          endpoint.id, endpoint.url, nlohmann::json(endpoint.events).dump(), endpoint.description, endpoint.secret);
      tx.commit();
      endpoint.created_at = FromMicros(created[0].as<std::int64_t>());
      endpoint.failing_since.reset();
      endpoint.disabled = false;
      endpoint.disabled_reason.clear();
      return endpoint;
    });
  }

  std::vector<Endpoint> List() override {
    return session_.Run([&](pqxx::connection& connection) {
      pqxx::read_transaction tx(connection);
      std::vector<Endpoint> all;
      for (const auto& row :
           tx.exec(std::string("SELECT ") + kEndpointColumns + " FROM endpoints ORDER BY created_at, id")) {
        all.push_back(EndpointOf(row));
      }
      return all;
    });
  }

  std::optional<Endpoint> Get(const std::string& id) override {
    return session_.Run([&](pqxx::connection& connection) -> std::optional<Endpoint> {
      pqxx::read_transaction tx(connection);
      const auto rows = tx.exec_params(std::string("SELECT ") + kEndpointColumns + " FROM endpoints WHERE id = $1", id);
      if (rows.empty()) return std::nullopt;
      return EndpointOf(rows[0]);
    });
  }

  bool Delete(const std::string& id) override {
    return session_.Run([&](pqxx::connection& connection) {
      pqxx::work tx(connection);
      // The endpoint's row first: a Keep that is checking for it waits, then sees it gone.
      const auto deleted = tx.exec_params("DELETE FROM endpoints WHERE id = $1", id).affected_rows();
      tx.exec_params("DELETE FROM deliveries WHERE endpoint_id = $1", id);
      tx.commit();
      return deleted > 0;
    });
  }

  void RecordHealth(const std::string& id, bool succeeded, WallClock::time_point at) override {
    session_.Run([&](pqxx::connection& connection) {
      pqxx::work tx(connection);
      if (succeeded) {
        tx.exec_params("UPDATE endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL", id);
      } else {
        tx.exec_params(
            "UPDATE endpoints SET failing_since = " ORDERS_AT("$2") " WHERE id = $1 AND failing_since IS NULL", id,
            MicrosSinceEpoch(at));
      }
      tx.commit();
    });
  }

  void Disable(const std::string& id, const std::string& reason) override {
    session_.Run([&](pqxx::connection& connection) {
      pqxx::work tx(connection);
      tx.exec_params("UPDATE endpoints SET disabled = true, disabled_reason = $2 WHERE id = $1", id, reason);
      tx.commit();
    });
  }

 private:
  PgSession session_;
  std::size_t max_endpoints_;
};

class PgDeliveryLedger : public DeliveryLedger {
 public:
  explicit PgDeliveryLedger(const PgStoreOptions& options)
      : session_(options.database_url, options.schema), batch_session_(options.database_url, options.schema) {}

  std::optional<std::int64_t> ResumeOffset(const std::string& topic, std::int32_t partition) override {
    return session_.Run([&](pqxx::connection& connection) -> std::optional<std::int64_t> {
      pqxx::read_transaction tx(connection);
      const auto rows = tx.exec_params("SELECT next_offset FROM dispatch_offsets WHERE topic = $1 AND partition = $2",
                                       topic, partition);
      if (rows.empty()) return std::nullopt;
      return rows[0][0].as<std::int64_t>();
    });
  }

  void SaveResumeOffset(const std::string& topic, std::int32_t partition, std::int64_t offset) override {
    session_.Run([&](pqxx::connection& connection) {
      pqxx::work tx(connection);
      tx.exec_params(
          "INSERT INTO dispatch_offsets (topic, partition, next_offset) VALUES ($1, $2, $3)"
          " ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset",
          topic, partition, offset);
      tx.commit();
    });
  }

  void Keep(const Delivery& d) override {
    session_.Run([&](pqxx::connection& connection) {
      pqxx::work tx(connection);
      tx.exec(KeepManyStatement(tx, std::span<const Delivery>(&d, 1)));
      tx.commit();
    });
  }

  // On a connection of its own: the dispatcher's ledger writer runs it while the other thread
  // reads due deliveries and saves offsets on the first one.
  // Many rows per statement: with one statement per row the writer spent its time on round trips,
  // and an endpoint that never answers spills every event it is sent here.
  void KeepAll(const std::vector<Delivery>& deliveries) override {
    if (deliveries.empty()) return;
    batch_session_.Run([&](pqxx::connection& connection) {
      pqxx::work tx(connection);
      for (std::size_t from = 0; from < deliveries.size(); from += kRowsPerStatement) {
        const auto to = std::min(deliveries.size(), from + kRowsPerStatement);
        tx.exec(KeepManyStatement(tx, std::span<const Delivery>(deliveries).subspan(from, to - from)));
      }
      tx.commit();
    });
  }

  std::vector<Delivery> Due(const std::string& topic, const std::vector<std::int32_t>& partitions,
                            WallClock::time_point now, std::size_t limit) override {
    return session_.Run([&](pqxx::connection& connection) {
      pqxx::read_transaction tx(connection);
      std::vector<Delivery> due;
      for (const auto& row :
           tx.exec_params(std::string("SELECT ") + kDeliveryColumns +
                              " FROM deliveries WHERE status = 'pending' AND topic = $1"
                              " AND partition = ANY($2::int[]) AND next_attempt_at <= " ORDERS_AT(
                                  "$3") " ORDER BY \"offset\", partition, endpoint_id LIMIT $4",
                          topic, IntArray(partitions), MicrosSinceEpoch(now), static_cast<std::int64_t>(limit))) {
        due.push_back(DeliveryOf(row));
      }
      return due;
    });
  }

  std::vector<std::pair<std::string, std::string>> PendingSubjects(
      const std::string& topic, const std::vector<std::int32_t>& partitions) override {
    return session_.Run([&](pqxx::connection& connection) {
      pqxx::read_transaction tx(connection);
      std::vector<std::pair<std::string, std::string>> subjects;
      for (const auto& row :
           tx.exec_params("SELECT DISTINCT endpoint_id, subject FROM deliveries WHERE status = 'pending' AND topic = $1"
                          " AND partition = ANY($2::int[]) ORDER BY endpoint_id, subject",
                          topic, IntArray(partitions))) {
        subjects.emplace_back(row[0].as<std::string>(), row[1].as<std::string>());
      }
      return subjects;
    });
  }

  Page List(const std::string& endpoint_id, std::optional<DeliveryStatus> status,
            const std::optional<std::string>& cursor, std::size_t limit) override {
    std::optional<DeliveryCursor> position;
    if (cursor) {
      position = DecodeDeliveryCursor(*cursor);
      if (!position) return {};
    }
    return session_.Run([&](pqxx::connection& connection) {
      pqxx::read_transaction tx(connection);
      // Unused filters are switched off by their parameters, so one statement serves every call.
      const auto rows = tx.exec_params(
          std::string("SELECT ") + kDeliveryColumns +
              " FROM deliveries WHERE endpoint_id = $1 AND ($2 = '' OR status = $2)"
              " AND (NOT $3::boolean OR (event_time, event_id) < (" ORDERS_AT("$4") ", $5::text))"
              " ORDER BY event_time DESC, event_id DESC LIMIT $6",
          endpoint_id, status ? std::string(DeliveryStatusName(*status)) : std::string(), position.has_value(),
          position ? position->event_time_us : std::int64_t{0}, position ? position->event_id : std::string(),
          static_cast<std::int64_t>(limit) + 1);
      Page page;
      for (const auto& row : rows) {
        if (page.items.size() == limit) {
          const auto& last = page.items.back();
          page.next_cursor = EncodeDeliveryCursor({MicrosSinceEpoch(last.event_time), last.event_id});
          break;
        }
        page.items.push_back(DeliveryOf(row));
      }
      return page;
    });
  }

  std::size_t Replay(const std::string& endpoint_id, WallClock::time_point from) override {
    return session_.Run([&](pqxx::connection& connection) {
      pqxx::work tx(connection);
      const auto replayed = tx.exec_params(
                                  "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(),"
                                  " updated_at = now() WHERE endpoint_id = $1 AND status = 'failed'"
                                  " AND event_time >= " ORDERS_AT("$2"),
                                  endpoint_id, MicrosSinceEpoch(from))
                                .affected_rows();
      tx.commit();
      return static_cast<std::size_t>(replayed);
    });
  }

 private:
  static constexpr std::size_t kRowsPerStatement = 256;

  // One upsert of `deliveries` (Keep's one, or a slice of KeepAll's). A statement may not upsert one row
  // twice, so a delivery that appears again in the slice (kept pending, then its outcome) is written in
  // its last state only.
  static std::string KeepManyStatement(pqxx::work& tx, std::span<const Delivery> deliveries) {
    std::set<std::pair<std::string, std::string>> seen;
    std::vector<const Delivery*> rows;
    for (std::size_t i = deliveries.size(); i-- > 0;) {
      if (seen.emplace(deliveries[i].endpoint_id, deliveries[i].event_id).second) rows.push_back(&deliveries[i]);
    }
    std::string values;
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
      const Delivery& d = **it;
      if (!values.empty()) values += ',';
      values += "(" + tx.quote(d.endpoint_id) + "," + tx.quote(d.event_id) + "," +
                tx.quote(std::string(DeliveryStatusName(d.status))) + "," + tx.quote(d.topic) + "," +
                std::to_string(d.partition) + "," + std::to_string(d.offset) + "," + tx.quote(d.subject) + "," +
                tx.quote(d.event_type) + "," + tx.quote(d.body) + "," + std::to_string(MicrosSinceEpoch(d.event_time)) +
                "," + std::to_string(d.attempts) + "," + std::to_string(MicrosSinceEpoch(d.next_attempt_at)) + "," +
                std::to_string(d.last_http_status) + "," + tx.quote(d.last_error) + "," + tx.quote(d.trace_parent) +
                ")";
    }
    return "INSERT INTO deliveries (endpoint_id, event_id, status, topic, partition, \"offset\", subject, event_type,"
           " body, event_time, attempts, next_attempt_at, last_http_status, last_error, updated_at, trace_parent)"
           " SELECT v.endpoint_id, v.event_id, v.status, v.topic, v.partition::integer, v.\"offset\"::bigint, v.subject,"
           " v.event_type, v.body, " ORDERS_AT("v.event_time") ", v.attempts::integer, " ORDERS_AT("v.next_attempt_at")
           ", v.last_http_status::integer, v.last_error, now(), v.trace_parent"
           " FROM (VALUES " + values +
           ") AS v(endpoint_id, event_id, status, topic, partition, \"offset\", subject, event_type, body, event_time,"
           " attempts, next_attempt_at, last_http_status, last_error, trace_parent)"
           // Kept only while the endpoint exists; FOR KEY SHARE waits for a Delete in progress.
           " WHERE EXISTS (SELECT 1 FROM endpoints WHERE id = v.endpoint_id FOR KEY SHARE)"
           " ON CONFLICT (endpoint_id, event_id) DO UPDATE SET status = EXCLUDED.status,"
           " attempts = EXCLUDED.attempts, next_attempt_at = EXCLUDED.next_attempt_at,"
           " last_http_status = EXCLUDED.last_http_status, last_error = EXCLUDED.last_error, updated_at = now()";
  }

  PgSession session_;
  PgSession batch_session_;  // KeepAll's
};

}  // namespace

std::unique_ptr<EndpointRegistry> MakePgEndpointRegistry(const PgStoreOptions& options) {
  return std::make_unique<PgEndpointRegistry>(options);
}

std::unique_ptr<DeliveryLedger> MakePgDeliveryLedger(const PgStoreOptions& options) {
  return std::make_unique<PgDeliveryLedger>(options);
}

void MigrateWebhookSchema(const PgStoreOptions& options) {
  pqxx::connection connection(WebhookConnectionString(options.database_url, options.schema));
  MigrateWebhookTables(connection, options.schema);
}

}  // namespace orders::notifier::webhooks
