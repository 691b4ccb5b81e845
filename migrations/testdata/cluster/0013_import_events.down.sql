-- Imported events become indistinguishable from collected ones once the
-- column goes: delete imports before going down past this migration.
ALTER TABLE events_local ON CLUSTER sillage
    DROP COLUMN IF EXISTS import_id;

ALTER TABLE events ON CLUSTER sillage
    DROP COLUMN IF EXISTS import_id;
