-- Read model, version 5: inventory. One row per tracked product (a product
-- is tracked from its first inventory.stock_set), folded from INVENTORY_TOPIC
-- in the same transaction as that topic's stored offsets, like the orders.
-- Product ids sort byte by byte (COLLATE "C"), so GET /inventory lists them in
-- the same order whatever the database's locale.

CREATE TABLE inventory (
  product_id  text COLLATE "C" PRIMARY KEY,
  on_hand     bigint      NOT NULL,
  reserved    bigint      NOT NULL,          -- the sum of the held reservations
  -- Never negative: a stock count below what is reserved leaves nothing available.
  available   bigint      GENERATED ALWAYS AS (GREATEST(0, on_hand - reserved)) STORED,
  version     bigint      NOT NULL,          -- version of the last applied inventory event
  updated_at  timestamptz NOT NULL
);

-- One row per order and product it asked for: what became of the request
-- (held, refused, released, committed) and its quantity. The projection needs
-- it to fold later events the way the command service decided them (a release
-- ends a held reservation of that exact quantity; a second request of one
-- order is no new reservation); only the rows an event names are read.
CREATE TABLE inventory_reservations (
  product_id  text COLLATE "C" NOT NULL,
  order_id    uuid        NOT NULL,
  state       text        NOT NULL,          -- held|refused|released|committed
  quantity    bigint      NOT NULL,
  version     bigint      NOT NULL,          -- the product's version of the last event about it
  PRIMARY KEY (product_id, order_id)
);
