-- The channel of imported sources, as Plausible's imported_sources keeps:
-- the dashboard's channels report then takes a site's imported history.
-- Plausible's files carry none: every row gets the channel of its source
-- and UTM tags, by the collector's rules, once its import ends (and rows
-- imported before this migration at the next start: imports.FillChannels).
-- Running it again changes nothing.
ALTER TABLE imported_sources {{ on_cluster }}
    ADD COLUMN IF NOT EXISTS channel String DEFAULT '' AFTER source;
