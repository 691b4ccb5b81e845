DROP TABLE IF EXISTS mail_claims {{ on_cluster }};
DROP TABLE IF EXISTS mail_outbox {{ on_cluster }};
