DROP TABLE IF EXISTS alert_state ON CLUSTER sillage;
DROP TABLE IF EXISTS alert_settings ON CLUSTER sillage;
DROP TABLE IF EXISTS report_deliveries ON CLUSTER sillage;
DROP TABLE IF EXISTS report_unsubscribe_tokens ON CLUSTER sillage;
DROP TABLE IF EXISTS report_subscriptions ON CLUSTER sillage;
