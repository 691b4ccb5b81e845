ALTER TABLE sessions_local ON CLUSTER sillage
    MODIFY TTL toDateTime(session_start) + toIntervalDay(retention_days) WHERE retention_days > 0;

ALTER TABLE events_local ON CLUSTER sillage
    MODIFY TTL toDateTime(ts) + toIntervalDay(retention_days) WHERE retention_days > 0;
