-- A site's own tracker script, /js/s/<token>.js: the token in its snippet
-- (public, in every page of the site; not a secret) and the features its
-- owner ticked. The collector serves the variant that holds them, with the
-- site's domain and options baked in, so changing a tick changes the file
-- served, never the snippet. A site without a row gets one (a new token,
-- the default features) the first time its settings are read.
CREATE TABLE IF NOT EXISTS site_scripts ON CLUSTER sillage
(
    site_id    UInt32,
    token      String,
    features   Array(LowCardinality(String)),
    updated_at DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/global/{database}/site_scripts', '{shard}-{replica}', updated_at)
ORDER BY site_id;
