-- Events: one row per accepted hit. Session-level attributes (source, UTM,
-- geography, device) are copied from the session's first event by the
-- collector, so filters on them need no join.
CREATE TABLE IF NOT EXISTS {{ local "events" }} {{ on_cluster }}
(
    site_id          UInt32,
    ts               DateTime64(3, 'UTC'),
    name             LowCardinality(String),
    visitor_id       UInt64,
    session_id       UInt64,
    session_start    DateTime64(3, 'UTC'),
    hostname         LowCardinality(String),
    pathname         String,
    referrer         String,
    referrer_source  LowCardinality(String),
    channel          LowCardinality(String),
    utm_source       LowCardinality(String),
    utm_medium       LowCardinality(String),
    utm_campaign     LowCardinality(String),
    utm_term         LowCardinality(String),
    utm_content      LowCardinality(String),
    click_id_param   LowCardinality(String),
    country_code     LowCardinality(FixedString(2)),
    region           LowCardinality(String),
    city             LowCardinality(String),
    city_geoname_id  UInt32,
    browser          LowCardinality(String),
    browser_version  LowCardinality(String),
    os               LowCardinality(String),
    os_version       LowCardinality(String),
    device           LowCardinality(String),
    props            Map(LowCardinality(String), String),
    revenue_amount   Decimal64(3),
    revenue_currency LowCardinality(FixedString(3)),
    interactive      Bool,
    scroll_depth     UInt8,
    engagement_ms    UInt32,
    retention_days   UInt16
)
ENGINE = {{ engine "MergeTree" "events" }}
PARTITION BY toYYYYMM(ts)
ORDER BY (site_id, toDate(ts), name, visitor_id, ts)
SAMPLE BY visitor_id
TTL toDateTime(ts) + toIntervalDay(retention_days) WHERE retention_days > 0
SETTINGS index_granularity = 8192{{ if not cluster }}, non_replicated_deduplication_window = 10000{{ end }};

{{ distributed "events" "visitor_id" }}

-- Sessions: one row per session once merged, maintained by the view below
-- from every insert into events. Readers always GROUP BY session_id and
-- merge the states, so the numbers are exact before background merges too.
CREATE TABLE IF NOT EXISTS {{ local "sessions" }} {{ on_cluster }}
(
    site_id          UInt32,
    session_start    DateTime64(3, 'UTC'),
    visitor_id       UInt64,
    session_id       UInt64,
    last_ts          SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    events           SimpleAggregateFunction(sum, UInt64),
    pageviews        SimpleAggregateFunction(sum, UInt64),
    interactive      SimpleAggregateFunction(sum, UInt64),
    entry_page       AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    exit_page        AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    hostname         SimpleAggregateFunction(any, LowCardinality(String)),
    referrer         SimpleAggregateFunction(any, String),
    referrer_source  SimpleAggregateFunction(any, LowCardinality(String)),
    channel          SimpleAggregateFunction(any, LowCardinality(String)),
    utm_source       SimpleAggregateFunction(any, LowCardinality(String)),
    utm_medium       SimpleAggregateFunction(any, LowCardinality(String)),
    utm_campaign     SimpleAggregateFunction(any, LowCardinality(String)),
    utm_term         SimpleAggregateFunction(any, LowCardinality(String)),
    utm_content      SimpleAggregateFunction(any, LowCardinality(String)),
    click_id_param   SimpleAggregateFunction(any, LowCardinality(String)),
    country_code     SimpleAggregateFunction(any, LowCardinality(FixedString(2))),
    region           SimpleAggregateFunction(any, LowCardinality(String)),
    city             SimpleAggregateFunction(any, LowCardinality(String)),
    city_geoname_id  SimpleAggregateFunction(any, UInt32),
    browser          SimpleAggregateFunction(any, LowCardinality(String)),
    browser_version  SimpleAggregateFunction(any, LowCardinality(String)),
    os               SimpleAggregateFunction(any, LowCardinality(String)),
    os_version       SimpleAggregateFunction(any, LowCardinality(String)),
    device           SimpleAggregateFunction(any, LowCardinality(String)),
    retention_days   SimpleAggregateFunction(max, UInt16)
)
ENGINE = {{ engine "AggregatingMergeTree" "sessions" }}
PARTITION BY toYYYYMM(session_start)
ORDER BY (site_id, toDate(session_start), visitor_id, session_id)
SAMPLE BY visitor_id
TTL toDateTime(session_start) + toIntervalDay(retention_days) WHERE retention_days > 0
{{- if not cluster }}
SETTINGS non_replicated_deduplication_window = 10000{{ end }};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{ local "sessions_mv" }} {{ on_cluster }}
TO {{ local "sessions" }} AS
SELECT
    site_id, session_start, visitor_id, session_id,
    max(ts) AS last_ts,
    count() AS events,
    countIf(name = 'pageview') AS pageviews,
    countIf(interactive) AS interactive,
    argMinIfState(pathname, ts, name = 'pageview') AS entry_page,
    argMaxIfState(pathname, ts, name = 'pageview') AS exit_page,
    any(hostname) AS hostname,
    any(referrer) AS referrer,
    any(referrer_source) AS referrer_source,
    any(channel) AS channel,
    any(utm_source) AS utm_source,
    any(utm_medium) AS utm_medium,
    any(utm_campaign) AS utm_campaign,
    any(utm_term) AS utm_term,
    any(utm_content) AS utm_content,
    any(click_id_param) AS click_id_param,
    any(country_code) AS country_code,
    any(region) AS region,
    any(city) AS city,
    any(city_geoname_id) AS city_geoname_id,
    any(browser) AS browser,
    any(browser_version) AS browser_version,
    any(os) AS os,
    any(os_version) AS os_version,
    any(device) AS device,
    max(retention_days) AS retention_days
FROM {{ local "events" }}
GROUP BY site_id, session_start, visitor_id, session_id;

{{ distributed "sessions" "visitor_id" }}

-- Daily salts for visitor ids. Every collector inserts a candidate for a day
-- and all use the earliest one, so they agree without coordination. Rows
-- older than two days are dropped: an id can then never be recomputed.
CREATE TABLE IF NOT EXISTS salts {{ on_cluster }}
(
    day        Date,
    salt       FixedString(16),
    created_at DateTime64(6, 'UTC')
)
ENGINE = {{ engine "MergeTree" "salts" "global" }}
ORDER BY (day, created_at)
TTL day + toIntervalDay(2);

-- Metadata. ReplacingMergeTree keeps the newest version of each row; a
-- deleted flag turns a row into a tombstone. Readers use FINAL.
CREATE TABLE IF NOT EXISTS sites {{ on_cluster }}
(
    id             UInt32,
    domain         String,
    timezone       String,
    retention_days UInt16,
    created_at     DateTime64(3, 'UTC'),
    updated_at     DateTime64(6, 'UTC'),
    deleted        UInt8
)
ENGINE = {{ engine "ReplacingMergeTree" "sites" "global" "updated_at, deleted" }}
ORDER BY id;

CREATE TABLE IF NOT EXISTS users {{ on_cluster }}
(
    id            UUID,
    email         String,
    password_hash String,
    created_at    DateTime64(3, 'UTC'),
    updated_at    DateTime64(6, 'UTC'),
    deleted       UInt8
)
ENGINE = {{ engine "ReplacingMergeTree" "users" "global" "updated_at, deleted" }}
ORDER BY id;

CREATE TABLE IF NOT EXISTS memberships {{ on_cluster }}
(
    site_id    UInt32,
    user_id    UUID,
    role       LowCardinality(String),
    updated_at DateTime64(6, 'UTC'),
    deleted    UInt8
)
ENGINE = {{ engine "ReplacingMergeTree" "memberships" "global" "updated_at, deleted" }}
ORDER BY (site_id, user_id);

CREATE TABLE IF NOT EXISTS goals {{ on_cluster }}
(
    site_id      UInt32,
    id           UUID,
    event_name   String,
    page_path    String,
    currency     LowCardinality(String),
    display_name String,
    updated_at   DateTime64(6, 'UTC'),
    deleted      UInt8
)
ENGINE = {{ engine "ReplacingMergeTree" "goals" "global" "updated_at, deleted" }}
ORDER BY (site_id, id);

CREATE TABLE IF NOT EXISTS funnels {{ on_cluster }}
(
    site_id        UInt32,
    id             UUID,
    name           String,
    steps          Array(UUID),
    window_seconds UInt32,
    updated_at     DateTime64(6, 'UTC'),
    deleted        UInt8
)
ENGINE = {{ engine "ReplacingMergeTree" "funnels" "global" "updated_at, deleted" }}
ORDER BY (site_id, id);

CREATE TABLE IF NOT EXISTS shared_links {{ on_cluster }}
(
    site_id       UInt32,
    id            UUID,
    slug          String,
    name          String,
    password_hash String,
    updated_at    DateTime64(6, 'UTC'),
    deleted       UInt8
)
ENGINE = {{ engine "ReplacingMergeTree" "shared_links" "global" "updated_at, deleted" }}
ORDER BY (site_id, id);

CREATE TABLE IF NOT EXISTS api_keys {{ on_cluster }}
(
    id         UUID,
    user_id    UUID,
    name       String,
    prefix     String,
    key_hash   String,
    site_ids   Array(UInt32),
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(6, 'UTC'),
    deleted    UInt8
)
ENGINE = {{ engine "ReplacingMergeTree" "api_keys" "global" "updated_at, deleted" }}
ORDER BY id;

CREATE TABLE IF NOT EXISTS auth_sessions {{ on_cluster }}
(
    token_hash String,
    user_id    UUID,
    expires_at DateTime('UTC'),
    updated_at DateTime64(6, 'UTC'),
    deleted    UInt8
)
ENGINE = {{ engine "ReplacingMergeTree" "auth_sessions" "global" "updated_at, deleted" }}
ORDER BY token_hash
TTL expires_at;
