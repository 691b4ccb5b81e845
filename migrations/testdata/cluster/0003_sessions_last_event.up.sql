-- Sessions keep the time of their last event other than engagement: a
-- session counts in a date range when it overlaps it, and an engagement
-- event (sent as a page is left) joins a session without extending it, so
-- it must not make a visit of a range on its own. Sessions stored before
-- this migration read it as their last event of any kind.
ALTER TABLE sessions_local ON CLUSTER sillage
    ADD COLUMN IF NOT EXISTS last_event SimpleAggregateFunction(max, DateTime64(3, 'UTC')) DEFAULT last_ts AFTER last_ts;

ALTER TABLE sessions ON CLUSTER sillage
    ADD COLUMN IF NOT EXISTS last_event SimpleAggregateFunction(max, DateTime64(3, 'UTC')) DEFAULT last_ts AFTER last_ts;

ALTER TABLE sessions_mv_local ON CLUSTER sillage MODIFY QUERY
SELECT
    site_id, session_start, visitor_id, session_id,
    max(ts) AS last_ts,
    maxIf(ts, name != 'engagement') AS last_event,
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
FROM events_local
GROUP BY site_id, session_start, visitor_id, session_id;
