-- Google connections of GA4 imports (issue 15): the refresh token an owner
-- or admin of a site granted through Google's OAuth flow, so that a
-- connection and the import it started outlive a restart. One row per
-- connection (id random, expires an hour after the sign-in: it lists the
-- properties and starts imports) and one per OAuth import (id
-- "import-ID", import_id set, no expiry: the job resumes with it).
--
-- refresh_token is sealed (AES-256-GCM under a key derived from the
-- server's secret, bound to the row's site and id), never stored in clear.
-- Rows are deleted, not tombstoned, when the import ends or is deleted,
-- when the connection expires (and, should the server be stopped, by the
-- TTL), and with the site or its data. Replicated
-- to every node on a cluster, like imports.
CREATE TABLE IF NOT EXISTS ga4_connections ON CLUSTER sillage
(
    site_id       UInt32,
    id            String,
    user_id       String,
    import_id     UInt64,
    refresh_token String,
    expires_at    DateTime64(3, 'UTC'),
    created_at    DateTime64(3, 'UTC'),
    updated_at    DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/global/{database}/ga4_connections', '{shard}-{replica}', updated_at)
ORDER BY (site_id, id)
-- A connection nobody removed goes at the next merge after its expiry.
TTL toDateTime(expires_at) + toIntervalHour(1) WHERE import_id = 0;

-- What a completed import warns of (a GA4 region name that matches no
-- ISO 3166-2 code, imported with its country only), shown with the job.
ALTER TABLE imports ON CLUSTER sillage
    ADD COLUMN IF NOT EXISTS warnings Array(String) DEFAULT [] AFTER error;
