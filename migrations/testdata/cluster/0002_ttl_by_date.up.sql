-- Retention is counted in Date32: a site may keep data for up to 36 500
-- days (the column holds up to 65 535), and a date plus that is past the
-- end of DateTime (2106) and of Date (2149), where the sum wraps around to
-- 1970 and every row would expire at once. Date32 goes to 2299. A row now
-- expires at 00:00 UTC on its date plus the retention.
ALTER TABLE events_local ON CLUSTER sillage
    MODIFY TTL toDate32(ts) + toIntervalDay(retention_days) WHERE retention_days > 0;

ALTER TABLE sessions_local ON CLUSTER sillage
    MODIFY TTL toDate32(session_start) + toIntervalDay(retention_days) WHERE retention_days > 0;
