-- Imported events become indistinguishable from collected ones once the
-- column goes: delete imports before going down past this migration.
ALTER TABLE {{ local "events" }} {{ on_cluster }}
    DROP COLUMN IF EXISTS import_id;
{{- if cluster }}

ALTER TABLE events {{ on_cluster }}
    DROP COLUMN IF EXISTS import_id;
{{- end }}
