-- The channel of imported sources (Plausible's imported_sources keeps one):
-- the dashboard's channels report then takes a site's imported history.
-- Rows imported before this migration, and imports whose files carry no
-- channel, get theirs from their source and UTM tags, by the collector's
-- rules, once the import ends (imports.FillChannels). Running it again
-- changes nothing.
ALTER TABLE imported_sources ON CLUSTER sillage
    ADD COLUMN IF NOT EXISTS channel String DEFAULT '' AFTER source;
