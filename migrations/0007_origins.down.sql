DROP TABLE IF EXISTS adoptable_sites {{ on_cluster }};
DROP TABLE IF EXISTS account_origins {{ on_cluster }};
