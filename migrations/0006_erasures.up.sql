-- One row each time a site's visitor data is erased ("delete data", "delete
-- site"). Collectors may run in other processes than the service that
-- erased: they read this table to purge the site's records from their
-- write-ahead logs and to keep from storing events of the site accepted
-- before erased_at. ReplacingMergeTree keeps the latest erasure per site.
CREATE TABLE IF NOT EXISTS erasures {{ on_cluster }}
(
    site_id   UInt32,
    erased_at DateTime64(3, 'UTC')
)
ENGINE = {{ engine "ReplacingMergeTree" "erasures" "global" "erased_at" }}
ORDER BY site_id;
