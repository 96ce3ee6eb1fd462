-- The outbox relay claims rows with a short lease instead of holding their row locks across the publish (which
-- can wait long under broker flow control). Rows under a live lease are skipped by other relays; a lease that
-- ran out (its relay died or its publish failed) makes them claimable again. NULL: never claimed, or released.
ALTER TABLE outbox ADD COLUMN claimed_until timestamptz;

-- The claim reads unpublished rows in (created_at, id) order; the lease is checked on those rows (now() cannot
-- be part of an index predicate).
DROP INDEX outbox_unpublished;
CREATE INDEX outbox_unpublished ON outbox (created_at, id) WHERE published_at IS NULL;
