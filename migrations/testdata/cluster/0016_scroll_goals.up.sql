-- Scroll-depth goals, as Plausible's: a page goal with a scroll threshold
-- (1–100 %) counts the visitors whose engagement events on a matching page
-- reached that depth. 0 is an ordinary page goal. Running it again
-- changes nothing.
ALTER TABLE goals ON CLUSTER sillage
    ADD COLUMN IF NOT EXISTS scroll_threshold UInt8 DEFAULT 0 AFTER display_name;
