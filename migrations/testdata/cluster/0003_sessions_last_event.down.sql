ALTER TABLE sessions_mv_local ON CLUSTER sillage MODIFY QUERY
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
FROM events_local
GROUP BY site_id, session_start, visitor_id, session_id;

ALTER TABLE sessions ON CLUSTER sillage DROP COLUMN IF EXISTS last_event;

ALTER TABLE sessions_local ON CLUSTER sillage DROP COLUMN IF EXISTS last_event;
