ALTER TABLE imported_sources {{ on_cluster }}
    DROP COLUMN IF EXISTS channel;
