DROP TABLE IF EXISTS annotation_settings {{ on_cluster }};
DROP TABLE IF EXISTS annotations {{ on_cluster }};
