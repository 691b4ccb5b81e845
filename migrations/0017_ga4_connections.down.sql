ALTER TABLE imports {{ on_cluster }}
    DROP COLUMN IF EXISTS warnings;

DROP TABLE IF EXISTS ga4_connections {{ on_cluster }};
