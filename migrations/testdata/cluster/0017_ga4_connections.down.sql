ALTER TABLE imports ON CLUSTER sillage
    DROP COLUMN IF EXISTS warnings;

DROP TABLE IF EXISTS ga4_connections ON CLUSTER sillage;
