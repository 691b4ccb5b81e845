ALTER TABLE {{ local "sessions" }} {{ on_cluster }}
    MODIFY TTL toDateTime(session_start) + toIntervalDay(retention_days) WHERE retention_days > 0;

ALTER TABLE {{ local "events" }} {{ on_cluster }}
    MODIFY TTL toDateTime(ts) + toIntervalDay(retention_days) WHERE retention_days > 0;
