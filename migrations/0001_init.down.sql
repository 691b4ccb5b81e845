DROP TABLE IF EXISTS auth_sessions {{ on_cluster }} SYNC;
DROP TABLE IF EXISTS api_keys {{ on_cluster }} SYNC;
DROP TABLE IF EXISTS shared_links {{ on_cluster }} SYNC;
DROP TABLE IF EXISTS funnels {{ on_cluster }} SYNC;
DROP TABLE IF EXISTS goals {{ on_cluster }} SYNC;
DROP TABLE IF EXISTS memberships {{ on_cluster }} SYNC;
DROP TABLE IF EXISTS users {{ on_cluster }} SYNC;
DROP TABLE IF EXISTS sites {{ on_cluster }} SYNC;
DROP TABLE IF EXISTS salts {{ on_cluster }} SYNC;
{{ drop_distributed "sessions" }}
DROP VIEW IF EXISTS {{ local "sessions_mv" }} {{ on_cluster }} SYNC;
DROP TABLE IF EXISTS {{ local "sessions" }} {{ on_cluster }} SYNC;
{{ drop_distributed "events" }}
DROP TABLE IF EXISTS {{ local "events" }} {{ on_cluster }} SYNC;
