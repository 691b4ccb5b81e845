-- Scroll-depth goals go with their column: they are deleted first, so that
-- none is read back as an ordinary page goal counting pageviews.
ALTER TABLE goals {{ on_cluster }}
    DELETE WHERE scroll_threshold > 0;

ALTER TABLE goals {{ on_cluster }}
    DROP COLUMN IF EXISTS scroll_threshold;
