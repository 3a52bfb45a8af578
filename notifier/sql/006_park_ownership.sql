-- Parks fenced by partition ownership (Park::ownership in webhook_ports.hpp). An instance stalled
-- past its consumer-group session timeout may wake up and write or drop parks of partitions that
-- were dealt to another instance meanwhile. Each assignment takes a number from this sequence and
-- stamps the parks of its partitions with it (a claim); a park write carrying an older number
-- changes nothing, and a drop deletes the row only while it still carries the dropper's number.
-- Rows from before keep 0: the first claim takes them over.
CREATE SEQUENCE park_ownerships;
ALTER TABLE parks ADD COLUMN ownership bigint NOT NULL DEFAULT 0;
