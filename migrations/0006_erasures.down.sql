DROP TABLE IF EXISTS erasures {{ on_cluster }};
