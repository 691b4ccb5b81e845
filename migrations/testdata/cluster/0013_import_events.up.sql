-- Events imported from an event-level export (Umami, GoatCounter) carry the
-- id of their import, so that the import can be listed and deleted with its
-- events; the collector writes 0. A plain column with a default: adding it
-- rewrites nothing, and rows stored before read 0.
ALTER TABLE events_local ON CLUSTER sillage
    ADD COLUMN IF NOT EXISTS import_id UInt64 DEFAULT 0;

ALTER TABLE events ON CLUSTER sillage
    ADD COLUMN IF NOT EXISTS import_id UInt64 DEFAULT 0;
