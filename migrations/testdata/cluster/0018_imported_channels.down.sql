ALTER TABLE imported_sources ON CLUSTER sillage
    DROP COLUMN IF EXISTS channel;
