-- A park's failing state (Park::fail_reason): once its retries are used up, or its endpoint is
-- disabled, its next round lists what it covers as failed. Stored with the park so that the next
-- owner of the partition, or a restart, lists them too instead of probing the endpoint again.
ALTER TABLE parks ADD COLUMN fail_reason text NOT NULL DEFAULT '';
