-- The event's W3C traceparent, so that a retry from the ledger is a span of
-- the same trace as the first attempt ('' when the event carried none).
ALTER TABLE deliveries ADD COLUMN trace_parent text NOT NULL DEFAULT '';
