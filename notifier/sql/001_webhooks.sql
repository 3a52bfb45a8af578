-- Webhook registrations and delivery progress of the notifier, in its own
-- schema (WEBHOOK_SCHEMA). Applied by the notifier at start (or on first use
-- when PostgreSQL was down then) under an advisory lock.

CREATE TABLE endpoints (
  id text COLLATE "C" PRIMARY KEY,
  url text NOT NULL,
  events text[] NOT NULL,
  description text NOT NULL DEFAULT '',
  secret text NOT NULL,
  created_at timestamptz NOT NULL,
  failing_since timestamptz,
  disabled boolean NOT NULL DEFAULT false,
  disabled_reason text NOT NULL DEFAULT ''
);

-- One row per (endpoint, event) whose first attempt did not succeed. No
-- foreign key: a delivery kept for an endpoint deleted meanwhile is dropped
-- by the insert itself (see Keep), and Delete removes the rest in its
-- transaction.
CREATE TABLE deliveries (
  -- "C": listing and cursors compare ids bytewise, the same everywhere.
  endpoint_id text COLLATE "C" NOT NULL,
  event_id text COLLATE "C" NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  topic text NOT NULL,
  partition integer NOT NULL,
  "offset" bigint NOT NULL,
  subject text COLLATE "C" NOT NULL,
  event_type text NOT NULL,
  body text NOT NULL,
  event_time timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_http_status integer NOT NULL DEFAULT 0,
  last_error text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (endpoint_id, event_id)
);

-- Due(): pending work of a partition, oldest offset first.
CREATE INDEX deliveries_due ON deliveries (topic, partition, "offset") WHERE status = 'pending';
-- List(): one endpoint's deliveries, newest event first, with or without a status.
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, event_time DESC, event_id DESC);
CREATE INDEX deliveries_by_endpoint_status ON deliveries (endpoint_id, status, event_time DESC, event_id DESC);

CREATE TABLE dispatch_offsets (
  topic text NOT NULL,
  partition integer NOT NULL,
  next_offset bigint NOT NULL,
  PRIMARY KEY (topic, partition)
);
