DROP TABLE IF EXISTS account_tokens ON CLUSTER sillage;

DROP TABLE IF EXISTS instance_settings ON CLUSTER sillage;

DROP TABLE IF EXISTS operators ON CLUSTER sillage;
