#include <orders/notifier/webhooks/pg_webhook_store.hpp>

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>
#include <pqxx/tablewriter>

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

// Rows for COPY ... FROM STDIN in PostgreSQL's text format: fields separated by tabs, rows
// ended by newlines; backslash, tab, newline and carriage return escaped (byte by byte, which
// is safe for UTF-8). PostgreSQL text cannot hold NUL: it becomes U+FFFD.
void AppendCopyText(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\0':
        out += "\xEF\xBF\xBD";
        break;
      default:
        out += c;
    }
  }
}

// The columns of staged_deliveries, in COPY order (times as microseconds since the epoch).
constexpr const char* kStagedColumns[] = {
    "endpoint_id", "event_id", "status",   "topic",   "partition",        "record_offset", "subject",     "event_type",
    "body",        "event_us", "attempts", "next_us", "last_http_status", "last_error",    "trace_parent"};

constexpr const char* kStagingTable =
    "CREATE TEMP TABLE IF NOT EXISTS staged_deliveries (endpoint_id text, event_id text, status text, topic text,"
    " partition integer, record_offset bigint, subject text, event_type text, body text, event_us bigint,"
    " attempts integer, next_us bigint, last_http_status integer, last_error text, trace_parent text)"
    " ON COMMIT DELETE ROWS";

// Kept only while the endpoint exists: FOR KEY SHARE waits for a Delete in progress, and one
// that committed first left no row to lock.
constexpr const char* kMergeStaged =
    "SELECT 1 FROM endpoints WHERE id IN (SELECT endpoint_id FROM staged_deliveries) FOR KEY SHARE;"
    " INSERT INTO deliveries (endpoint_id, event_id, status, topic, partition, \"offset\", subject, event_type,"
    " body, event_time, attempts, next_attempt_at, last_http_status, last_error, updated_at, trace_parent)"
    " SELECT s.endpoint_id, s.event_id, s.status, s.topic, s.partition, s.record_offset, s.subject, s.event_type, s.body, "
    ORDERS_AT("s.event_us") ", s.attempts, " ORDERS_AT("s.next_us") ", s.last_http_status, s.last_error, now(),"
    " s.trace_parent FROM staged_deliveries s WHERE EXISTS (SELECT 1 FROM endpoints e WHERE e.id = s.endpoint_id)"
    " ON CONFLICT (endpoint_id, event_id) DO UPDATE SET status = EXCLUDED.status,"
    " attempts = EXCLUDED.attempts, next_attempt_at = EXCLUDED.next_attempt_at,"
    " last_http_status = EXCLUDED.last_http_status, last_error = EXCLUDED.last_error, updated_at = now()";

void AppendCopyRow(std::string& out, const Delivery& d) {
  const auto field = [&out](std::string_view text) {
    AppendCopyText(out, text);
    out += '\t';
  };
  const auto number = [&out](std::int64_t value) {
    out += std::to_string(value);
    out += '\t';
  };
  field(d.endpoint_id);
  field(d.event_id);
  field(DeliveryStatusName(d.status));
  field(d.topic);
  number(d.partition);
  number(d.offset);
  field(d.subject);
  field(d.event_type);
  field(d.body);
  number(MicrosSinceEpoch(d.event_time));
  number(d.attempts);
  number(MicrosSinceEpoch(d.next_attempt_at));
  number(d.last_http_status);
  field(d.last_error);
  AppendCopyText(out, d.trace_parent);
  out += '\n';
}

// List(): newest event first, after the cursor when there is one ($2 or $3 on: (time, id) before it).
std::string ListByStatusStatement() {
  return std::string("SELECT ") + kDeliveryColumns +
         " FROM deliveries WHERE endpoint_id = $1 AND status = $2"
         " AND (NOT $3::boolean OR (event_time, event_id) < (" ORDERS_AT("$4") ", $5::text))"
         " ORDER BY event_time DESC, event_id DESC LIMIT $6";
}

// Without a status: each status's newest rows (one index range each), merged. One index fewer to
// keep up at every write than an index of its own for this.
std::string ListAllStatement() {
  std::string parts;
  for (const char* status : {"pending", "delivered", "failed"}) {
    if (!parts.empty()) parts += " UNION ALL ";
    parts += std::string("(SELECT * FROM deliveries WHERE endpoint_id = $1 AND status = '") + status +
             "' AND (NOT $2::boolean OR (event_time, event_id) < (" ORDERS_AT("$3") ", $4::text))"
             " ORDER BY event_time DESC, event_id DESC LIMIT $5)";
  }
  return std::string("SELECT ") + kDeliveryColumns + " FROM (" + parts +
         ") AS deliveries ORDER BY event_time DESC, event_id DESC LIMIT $5";
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
      tx.exec_params("DELETE FROM parks WHERE endpoint_id = $1", id);
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

  // Through the same staging table and upsert as KeepAll: one copy of the ledger's write SQL.
  void Keep(const Delivery& d) override {
    std::string line;
    AppendCopyRow(line, d);
    line.pop_back();  // the COPY sender ends each line it sends
    session_.Run([&](pqxx::connection& connection) { WriteStaged(connection, line); });
  }

  // On a connection of its own: the dispatcher's ledger writer runs it while the other thread
  // reads due deliveries and saves offsets on the first one.
  // The rows go by COPY into a temporary table, then into `deliveries` in one set-based upsert: an
  // endpoint that never answers spills every event it is sent here, and with multi-row INSERT
  // statements the writer (parsing, quoting) set the pace of a burst's drain beside it.
  void KeepAll(const std::vector<Delivery>& deliveries) override {
    if (deliveries.empty()) return;
    // One row per delivery, its last state (one upsert may not touch a row twice).
    std::vector<const Delivery*> rows;
    {
      std::set<std::pair<std::string_view, std::string_view>> seen;
      for (auto it = deliveries.rbegin(); it != deliveries.rend(); ++it) {
        if (seen.emplace(it->endpoint_id, it->event_id).second) rows.push_back(&*it);
      }
      std::reverse(rows.begin(), rows.end());
    }
    std::string lines;
    lines.reserve(rows.size() * 768);
    for (const Delivery* d : rows) AppendCopyRow(lines, *d);
    if (!lines.empty()) lines.pop_back();  // the COPY sender ends each line it sends
    batch_session_.Run([&](pqxx::connection& connection) { WriteStaged(connection, lines); });
  }

  std::vector<Delivery> Due(const std::string& topic, const std::vector<std::int32_t>& partitions,
                            WallClock::time_point now, std::size_t limit) override {
    return session_.Run([&](pqxx::connection& connection) {
      pqxx::read_transaction tx(connection);
      std::vector<Delivery> due;
      // Each partition's oldest due ones through deliveries_due (a range of the index, at most
      // `limit` rows each), then merged: one scan over several partitions would read and sort
      // every pending delivery of them, at every pass, to return a few hundred.
      for (const auto& row :
           tx.exec_params(std::string("SELECT ") + kDeliveryColumns +
                              " FROM unnest($2::int[]) AS p(number) CROSS JOIN LATERAL"
                              " (SELECT * FROM deliveries WHERE status = 'pending' AND topic = $1"
                              " AND partition = p.number AND next_attempt_at <= " ORDERS_AT(
                                  "$3") " ORDER BY \"offset\", endpoint_id LIMIT $4) AS deliveries"
                                        " ORDER BY \"offset\", partition, endpoint_id LIMIT $4",
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
      const bool after = position.has_value();
      const auto time_us = position ? position->event_time_us : std::int64_t{0};
      const auto event_id = position ? position->event_id : std::string();
      const auto rows_wanted = static_cast<std::int64_t>(limit) + 1;
      // Both through deliveries_by_endpoint_status: without a status, the newest of each status, merged.
      const auto rows =
          status ? tx.exec_params(ListByStatusStatement(), endpoint_id, std::string(DeliveryStatusName(*status)), after,
                                  time_us, event_id, rows_wanted)
                 : tx.exec_params(ListAllStatement(), endpoint_id, after, time_us, event_id, rows_wanted);
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

  ParkClaim ClaimParks(const std::string& topic, const std::vector<std::int32_t>& partitions) override {
    return session_.Run([&](pqxx::connection& connection) {
      pqxx::work tx(connection);
      ParkClaim claim;
      claim.ownership = static_cast<std::uint64_t>(tx.exec1("SELECT nextval('park_ownerships')")[0].as<std::int64_t>());
      // The update waits for a stale owner's write or drop in progress on a row, which then
      // re-checks its condition against the claimed row and does nothing.
      for (const auto& row : tx.exec_params(
               "WITH claimed AS (UPDATE parks SET ownership = $3 WHERE topic = $1 AND partition = ANY($2::int[])"
               " RETURNING endpoint_id, topic, partition, from_offset, attempts, next_attempt_at, fail_reason)"
               " SELECT endpoint_id, topic, partition, from_offset, attempts, " ORDERS_US(
                   "next_attempt_at") ", fail_reason FROM claimed ORDER BY endpoint_id, partition",
               topic, IntArray(partitions), static_cast<std::int64_t>(claim.ownership))) {
        Park park;
        park.endpoint_id = row[0].as<std::string>();
        park.topic = row[1].as<std::string>();
        park.partition = row[2].as<std::int32_t>();
        park.from_offset = row[3].as<std::int64_t>();
        park.attempts = row[4].as<int>();
        park.next_attempt_at = FromMicros(row[5].as<std::int64_t>());
        park.fail_reason = row[6].as<std::string>();
        park.ownership = claim.ownership;
        claim.parks.push_back(std::move(park));
      }
      tx.commit();
      return claim;
    });
  }

  void SavePark(const Park& park) override {
    session_.Run([&](pqxx::connection& connection) {
      pqxx::work tx(connection);
      // Kept only while the endpoint exists; FOR KEY SHARE waits for a Delete in progress.
      tx.exec_params(
          "INSERT INTO parks (endpoint_id, topic, partition, from_offset, attempts, next_attempt_at, fail_reason,"
          " ownership) SELECT $1, $2, $3, $4, $5, " ORDERS_AT("$6") ", $7, $8"
          " WHERE EXISTS (SELECT 1 FROM endpoints WHERE id = $1 FOR KEY SHARE)"
          " ON CONFLICT (endpoint_id, topic, partition) DO UPDATE SET from_offset = EXCLUDED.from_offset,"
          " attempts = EXCLUDED.attempts, next_attempt_at = EXCLUDED.next_attempt_at,"
          " fail_reason = EXCLUDED.fail_reason, ownership = EXCLUDED.ownership"
          " WHERE parks.ownership <= EXCLUDED.ownership",
          park.endpoint_id, park.topic, park.partition, park.from_offset, park.attempts,
          MicrosSinceEpoch(park.next_attempt_at), park.fail_reason, static_cast<std::int64_t>(park.ownership));
      tx.commit();
    });
  }

  bool DropPark(const std::string& endpoint_id, const std::string& topic, std::int32_t partition,
                std::uint64_t ownership) override {
    return session_.Run([&](pqxx::connection& connection) {
      pqxx::work tx(connection);
      const auto dropped =
          tx.exec_params(
                "DELETE FROM parks WHERE endpoint_id = $1 AND topic = $2 AND partition = $3 AND ownership = $4",
                endpoint_id, topic, partition, static_cast<std::int64_t>(ownership))
              .affected_rows();
      tx.commit();
      return dropped > 0;
    });
  }

 private:
  // Rows already in COPY text format (AppendCopyRow, one delivery at most once) into `deliveries`.
  static void WriteStaged(pqxx::connection& connection, const std::string& lines) {
    pqxx::work tx(connection);
    // Created in every transaction (emptied at every commit), so a reconnect cannot lose it.
    tx.exec("SET LOCAL client_min_messages = warning; SET LOCAL jit = off; " + std::string(kStagingTable));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    // libpqxx 6.4's one way to send rows already in COPY text format, all in one call.
    pqxx::tablewriter writer(tx, "staged_deliveries", std::begin(kStagedColumns), std::end(kStagedColumns));
#pragma GCC diagnostic pop
    writer.write_raw_line(lines);
    writer.complete();
    tx.exec(kMergeStaged);
    tx.commit();
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
