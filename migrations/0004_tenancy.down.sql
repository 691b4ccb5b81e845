DROP TABLE IF EXISTS account_tokens {{ on_cluster }};

DROP TABLE IF EXISTS instance_settings {{ on_cluster }};

DROP TABLE IF EXISTS operators {{ on_cluster }};
