-- Events imported from an event-level export (Umami, GoatCounter) carry the
-- id of their import, so that the import can be listed and deleted with its
-- events; the collector writes 0. A plain column with a default: adding it
-- rewrites nothing, and rows stored before read 0.
ALTER TABLE {{ local "events" }} {{ on_cluster }}
    ADD COLUMN IF NOT EXISTS import_id UInt64 DEFAULT 0;
{{- if cluster }}

ALTER TABLE events {{ on_cluster }}
    ADD COLUMN IF NOT EXISTS import_id UInt64 DEFAULT 0;
{{- end }}
