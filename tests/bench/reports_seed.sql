-- The `reports` benchmark's read model: :orders orders placed evenly over the :days days before
-- today (UTC), written straight into the orders and order_history tables of the schema on the
-- search_path, as the projection would have folded them. Per order g (deterministic):
--   one line item of product sku-(g*7919 mod 500), 1-3 units; currency USD, EUR or GBP;
--   g mod 10 = 0: cancelled while pending (reason payment_declined or out_of_stock);
--   g mod 10 = 1: still pending; otherwise confirmed 1-5 minutes after placement, taken by one of
--   400 couriers 10 minutes later, delivered 15-104 minutes after that.
-- The summaries are then filled by the projection itself (see bench::reports).
-- A bulk load: the secondary indexes are dropped first and built again at the end (one sort each, where
-- millions of random insertions into every B-tree would take most of the time), and the rows go in in
-- primary-key order.
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SET maintenance_work_mem = '1GB';
CREATE TEMP TABLE seed_indexes AS
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relname IN ('orders', 'order_history') AND t.relnamespace = current_schema()::regnamespace
  AND NOT i.indisprimary AND NOT i.indisunique;
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT name FROM seed_indexes LOOP EXECUTE 'DROP INDEX ' || r.name; END LOOP;
END $$;
CREATE TEMP TABLE seed AS
SELECT g,
       md5('bench-order-' || g)::uuid AS order_id,
       now()::date - :days + (g::float8 * :days / :orders) * interval '1 day' AS placed_at,
       (ARRAY['USD', 'EUR', 'GBP'])[1 + g % 3] AS currency,
       'sku-' || (g::bigint * 7919 % 500) AS product_id,  -- g * 7919 passes int4 beyond 271,183 orders
       1 + g % 3 AS quantity,
       100 + (g * 31 % 5000) AS unit_price,
       g % 10 AS fate,
       'courier-' || (g * 13 % 400) AS courier_id
FROM generate_series(1, :orders) AS g;

INSERT INTO orders (order_id, customer_id, items, currency, total_cents, status, version, created_at, updated_at,
                    courier_id, payment_status, payment_id, payment_amount_cents)
SELECT order_id, 'customer-' || (g % 100000),
       jsonb_build_array(jsonb_build_object('productId', product_id, 'quantity', quantity, 'unitPriceCents', unit_price)),
       currency, quantity * unit_price,
       CASE fate WHEN 0 THEN 'cancelled' WHEN 1 THEN 'pending' ELSE 'delivered' END,
       CASE fate WHEN 0 THEN 2 WHEN 1 THEN 1 ELSE 4 END,
       placed_at, placed_at,
       CASE WHEN fate > 1 THEN courier_id END,
       CASE fate WHEN 0 THEN 'declined' WHEN 1 THEN 'pending' ELSE 'authorized' END,
       CASE WHEN fate > 1 THEN 'pay-' || g END, quantity * unit_price
FROM seed ORDER BY order_id;

INSERT INTO order_history (order_id, version, status, at, reason, event_id, event, courier_id)
SELECT s.order_id, e.version, e.status, s.placed_at + e.after, e.reason, s.g || '-' || e.version, e.event, e.courier
FROM seed s CROSS JOIN LATERAL (VALUES
    (1, 'pending', interval '0', NULL, 'order.placed', NULL),
    (2, CASE WHEN s.fate = 0 THEN 'cancelled' ELSE 'confirmed' END, interval '1 minute' * (1 + s.g % 5),
     CASE WHEN s.fate = 0 THEN (ARRAY['payment_declined', 'out_of_stock'])[1 + s.g % 2] END,
     'order.status_changed', NULL),
    (3, 'confirmed', interval '1 minute' * (11 + s.g % 5), NULL, 'order.courier_assigned', s.courier_id),
    (4, 'delivered', interval '1 minute' * (26 + s.g % 5 + s.g % 90), NULL, 'order.status_changed', NULL))
  AS e(version, status, after, reason, event, courier)
WHERE e.version = 1 OR (e.version = 2 AND s.fate <> 1) OR (e.version > 2 AND s.fate > 1)
ORDER BY s.order_id, e.version;
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT definition FROM seed_indexes LOOP EXECUTE r.definition; END LOOP;
END $$;
ANALYZE orders;
ANALYZE order_history;
