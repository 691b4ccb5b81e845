DROP TABLE IF EXISTS alert_state {{ on_cluster }};
DROP TABLE IF EXISTS alert_settings {{ on_cluster }};
DROP TABLE IF EXISTS report_deliveries {{ on_cluster }};
DROP TABLE IF EXISTS report_unsubscribe_tokens {{ on_cluster }};
DROP TABLE IF EXISTS report_subscriptions {{ on_cluster }};
