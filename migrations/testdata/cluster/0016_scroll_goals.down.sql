-- Scroll-depth goals go with their column: they are deleted first, so that
-- none is read back as an ordinary page goal counting pageviews.
ALTER TABLE goals ON CLUSTER sillage
    DELETE WHERE scroll_threshold > 0;

ALTER TABLE goals ON CLUSTER sillage
    DROP COLUMN IF EXISTS scroll_threshold;
