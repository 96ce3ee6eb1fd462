-- The trace context of the work that wrote an outbox row (tracing/TraceStamp.java): the W3C traceparent of its
-- span and its request id. The relay sends both as AMQP headers, so the message's handling continues that trace.
-- Nullable: rows written with tracing off (or before this version) have none.
ALTER TABLE outbox ADD COLUMN traceparent text, ADD COLUMN request_id text;
