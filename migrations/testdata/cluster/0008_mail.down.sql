DROP TABLE IF EXISTS mail_claims ON CLUSTER sillage;
DROP TABLE IF EXISTS mail_outbox ON CLUSTER sillage;
