DROP TABLE IF EXISTS totp {{ on_cluster }} SYNC;
