-- Annotations: a note on a day or a range of days of a site (a campaign, a
-- release, an outage), in the site's time zone, written by its owners and
-- admins and drawn on the dashboard's graph. Rows are versions: the newest
-- updated_at wins, a deleted one is a tombstone.
CREATE TABLE IF NOT EXISTS annotations {{ on_cluster }}
(
    site_id    UInt32,
    id         UUID,
    day_from   Date,
    day_to     Date,
    text       String,
    category   LowCardinality(String),
    author     String,
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(6, 'UTC'),
    deleted    UInt8 DEFAULT 0
)
ENGINE = {{ engine "ReplacingMergeTree" "annotations" "global" "updated_at, deleted" }}
ORDER BY (site_id, id);

-- Whether a site's shared links show its annotations: the owner's choice,
-- off for a site without a row.
CREATE TABLE IF NOT EXISTS annotation_settings {{ on_cluster }}
(
    site_id    UInt32,
    shared     UInt8,
    updated_at DateTime64(6, 'UTC')
)
ENGINE = {{ engine "ReplacingMergeTree" "annotation_settings" "global" "updated_at" }}
ORDER BY site_id;
