-- Read model, version 1. Applied by the projection service inside the schema
-- named by READ_MODEL_SCHEMA (search_path is set to it); recorded in
-- schema_migrations. The read model can be dropped and rebuilt from the log.

-- One row per order: its current state.
CREATE TABLE orders (
  order_id     uuid        PRIMARY KEY,
  customer_id  text        NOT NULL,
  items        jsonb       NOT NULL,          -- [{productId, quantity, unitPriceCents}]
  currency     char(3)     NOT NULL,
  total_cents  bigint      NOT NULL,
  status       text        NOT NULL,          -- pending|confirmed|processing|shipped|out_for_delivery|delivered|cancelled
  version      bigint      NOT NULL,          -- version of the last applied event
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);
-- Newest-first listings, with keyset pagination on (created_at, order_id).
CREATE INDEX orders_by_created ON orders (created_at DESC, order_id DESC);
CREATE INDEX orders_by_customer ON orders (customer_id, created_at DESC, order_id DESC);
CREATE INDEX orders_by_status ON orders (status, created_at DESC, order_id DESC);

-- One row per event of an order: version 1 is the placement (status pending).
CREATE TABLE order_history (
  order_id  uuid        NOT NULL,
  version   bigint      NOT NULL,
  status    text        NOT NULL,             -- status after this event
  at        timestamptz NOT NULL,
  reason    text,
  event_id  text        NOT NULL,             -- CloudEvents ce_id
  PRIMARY KEY (order_id, version)
);
CREATE INDEX order_history_by_day ON order_history (at);

-- Where the projection is in the log: the next offset to read per partition.
-- Written in the same transaction as the events it covers.
CREATE TABLE consumer_offsets (
  topic        text   NOT NULL,
  partition    int    NOT NULL,
  next_offset  bigint NOT NULL,
  PRIMARY KEY (topic, partition)
);

-- Records that could not be decoded or broke the lifecycle, kept for people.
CREATE TABLE poison_events (
  topic        text        NOT NULL,
  partition    int         NOT NULL,
  "offset"     bigint      NOT NULL,
  record_key   text,
  payload      bytea       NOT NULL,
  error        text        NOT NULL,
  parked_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, "offset")
);
