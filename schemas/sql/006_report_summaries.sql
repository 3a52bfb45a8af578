-- Read model, version 6: report summaries. The reports (GET /reports/...)
-- read these small tables, never the orders or their history: each is
-- maintained by the projection in the same transaction as the events it
-- applies (so it always equals the fold of the log, a rebuild fills it too,
-- and a redelivered event, stopped by the version guard, is counted once).
-- Summary rows only ever grow by addition, so any set of events can be
-- summarised in any grouping: the statement that summarises a batch also
-- fills these tables from the history already stored, when this migration is
-- applied to a read model that has orders (Migrate, in the same transaction).
--
-- Days are UTC days of the event counted. `slot` spreads the rows written by
-- concurrent projection instances: each batch writes the slot of its lowest
-- partition, which no other writer holds at the same time, so two instances
-- never wait for each other's rows; reports add the slots up.
--
-- Minute histograms (`minutes`) hold one count per bucket of
-- orders::projection::kMinuteBuckets (minute_histogram.hpp): medians and
-- percentiles are read from them to the resolution of their bucket.

-- The number of orders in each status now.
CREATE TABLE report_status_counts (
  slot     int    NOT NULL,
  status   text   NOT NULL,
  orders   bigint NOT NULL,
  PRIMARY KEY (status, slot)
);

-- Per day and currency: placements, confirmations, deliveries and
-- cancellations (status changes to them) that day, and the delivered
-- orders' totals (numeric: a sum may exceed 64 bits).
CREATE TABLE report_daily (
  day            date    NOT NULL,
  currency       char(3) NOT NULL,
  slot           int     NOT NULL,
  placed         bigint  NOT NULL,
  confirmed      bigint  NOT NULL,
  delivered      bigint  NOT NULL,
  cancelled      bigint  NOT NULL,
  revenue_cents  numeric NOT NULL,
  PRIMARY KEY (day, currency, slot)
);

-- Per day, product and currency: the quantities and line totals of the
-- orders delivered that day.
CREATE TABLE report_products (
  day            date    NOT NULL,
  product_id     text    COLLATE "C" NOT NULL,
  currency       char(3) NOT NULL,
  quantity       bigint  NOT NULL,
  revenue_cents  numeric NOT NULL,
  PRIMARY KEY (day, product_id, currency)
);

-- Per day and courier: deliveries made while assigned, and the minutes from
-- the assignment to the delivery.
CREATE TABLE report_couriers (
  day         date     NOT NULL,
  courier_id  text     COLLATE "C" NOT NULL,
  deliveries  bigint   NOT NULL,
  minutes     bigint[] NOT NULL,
  PRIMARY KEY (day, courier_id)
);

-- Per day and reason: cancellations ('' when none was given).
CREATE TABLE report_cancellations (
  day     date   NOT NULL,
  reason  text   NOT NULL,
  slot    int    NOT NULL,
  orders  bigint NOT NULL,
  PRIMARY KEY (day, reason, slot)
);

-- Per day (of the later step) and step: minutes between the funnel's steps,
-- 'placed_to_confirmed' and 'confirmed_to_delivered'.
CREATE TABLE report_step_minutes (
  day      date     NOT NULL,
  step     text     NOT NULL,
  slot     int      NOT NULL,
  minutes  bigint[] NOT NULL,
  PRIMARY KEY (day, step, slot)
);
