-- Read model, version 3: couriers. Every order may have one courier (null
-- until one is assigned); couriers who declined an open delivery no longer
-- see it in their open list; each history row names its event and, for the
-- courier events, the courier.

ALTER TABLE orders ADD COLUMN courier_id text;  -- null: no courier
-- GET /orders?courierId=: newest first, like the other filters.
CREATE INDEX orders_by_courier ON orders (courier_id, created_at DESC, order_id DESC);
-- GET /deliveries/open: confirmed or processing without a courier, oldest
-- first. Partial, so it holds only the open deliveries (a few, whatever the
-- size of the read model).
CREATE INDEX orders_open_for_delivery ON orders (created_at, order_id)
  WHERE courier_id IS NULL AND status IN ('confirmed', 'processing');

-- One row per (order, courier) that declined it; a courier declines an order
-- at most once (later declines of the same courier add nothing).
CREATE TABLE order_declines (
  order_id     uuid        NOT NULL,
  courier_id   text        NOT NULL,
  version      bigint      NOT NULL,          -- the order version of the decline
  declined_at  timestamptz NOT NULL,
  PRIMARY KEY (order_id, courier_id)
);

-- The event of each history row, by the name clients see (order.placed,
-- order.status_changed, order.courier_assigned, ...). Rows written before
-- this version are placements (version 1) or status changes (the only events
-- there were); the default fills them without rewriting the table.
ALTER TABLE order_history ADD COLUMN event text NOT NULL DEFAULT 'order.status_changed';
UPDATE order_history SET event = 'order.placed' WHERE version = 1;
ALTER TABLE order_history ALTER COLUMN event DROP DEFAULT;
ALTER TABLE order_history ADD COLUMN courier_id text;  -- the courier a courier event names
