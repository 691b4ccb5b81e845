DROP TABLE IF EXISTS report_segments {{ on_cluster }};
DROP TABLE IF EXISTS segments {{ on_cluster }};
