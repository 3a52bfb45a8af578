-- List() without a status is served by deliveries_by_endpoint_status (the newest of each status,
-- merged), so this index is no longer read; each kept delivery had to update it.
DROP INDEX IF EXISTS deliveries_by_endpoint;
