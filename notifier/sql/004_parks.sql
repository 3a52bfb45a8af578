-- Endpoints parked on a partition (see Park in webhook_ports.hpp): one row covers every later event
-- of the partition for that endpoint while it backs off, instead of a row per event in deliveries.
-- No foreign key, like deliveries: SavePark writes only while the endpoint exists, Delete removes
-- the endpoint's parks in its transaction.
CREATE TABLE parks (
  endpoint_id text COLLATE "C" NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  from_offset bigint NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  PRIMARY KEY (endpoint_id, topic, partition)
);
CREATE INDEX parks_by_partition ON parks (topic, partition);
