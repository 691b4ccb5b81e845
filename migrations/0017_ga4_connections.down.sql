DROP TABLE IF EXISTS ga4_connections {{ on_cluster }};
