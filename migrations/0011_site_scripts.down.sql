DROP TABLE IF EXISTS site_scripts {{ on_cluster }};
