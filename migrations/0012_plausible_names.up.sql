-- Browser and OS names as Plausible stores them (collector/useragent/
-- plausible.go): the rows stored before this release get the names the
-- collector now gives, so a filter such as visit:os is Mac, or a
-- breakdown, counts old and new visits alike. The same maps as the
-- collector's; a background mutation (like a retention change), so the
-- upgrade does not wait for it. Running it again changes nothing.
ALTER TABLE {{ local "events" }} {{ on_cluster }}
    UPDATE
        browser_version = if(toString(browser) IN ['Chrome Mobile WebView', 'Facebook', 'Facebook Messenger', 'Instagram', 'Google', 'Snapchat', 'Pinterest', 'LinkedIn', 'Twitter', 'TikTok', 'WeChat', 'LINE'], '', toString(browser_version)),
        browser = if(toString(browser) IN ['Chrome Mobile WebView', 'Facebook', 'Facebook Messenger', 'Instagram', 'Google', 'Snapchat', 'Pinterest', 'LinkedIn', 'Twitter', 'TikTok', 'WeChat', 'LINE'], 'Mobile App',
            transform(toString(browser), ['Mobile Safari', 'Mobile Safari UI/WKWebView', 'Chrome Mobile', 'Chrome Mobile iOS', 'Firefox Mobile', 'Firefox iOS', 'Opera Mobile', 'Opera Mini', 'Edge', 'Edge Mobile', 'Samsung Internet', 'IE', 'DuckDuckGo Mobile', 'MiuiBrowser', 'HuaweiBrowser', 'Amazon Silk', 'Yandex Browser Lite'],
                ['Safari', 'Safari', 'Chrome', 'Chrome', 'Firefox', 'Firefox', 'Opera', 'Opera', 'Microsoft Edge', 'Microsoft Edge', 'Samsung Browser', 'Internet Explorer', 'DuckDuckGo Privacy Browser', 'MIUI Browser', 'Huawei Browser', 'Mobile Silk', 'Yandex Browser'], toString(browser))),
        os = multiIf(toString(os) IN ['Mac OS X', 'Mac OS'], 'Mac', toString(os) = 'Linux', 'GNU/Linux',
            toString(os) = 'iOS' AND toString(device) = 'Tablet' AND toUInt32OrZero(splitByChar('.', toString(os_version))[1]) >= 13, 'iPadOS',
            toString(os))
    WHERE toString(browser) IN ['Mobile Safari', 'Mobile Safari UI/WKWebView', 'Chrome Mobile', 'Chrome Mobile iOS', 'Firefox Mobile', 'Firefox iOS', 'Opera Mobile', 'Opera Mini', 'Edge', 'Edge Mobile', 'Samsung Internet', 'IE', 'DuckDuckGo Mobile', 'MiuiBrowser', 'HuaweiBrowser', 'Amazon Silk', 'Yandex Browser Lite', 'Chrome Mobile WebView', 'Facebook', 'Facebook Messenger', 'Instagram', 'Google', 'Snapchat', 'Pinterest', 'LinkedIn', 'Twitter', 'TikTok', 'WeChat', 'LINE']
        OR toString(os) IN ['Mac OS X', 'Mac OS', 'Linux']
        OR (toString(os) = 'iOS' AND toString(device) = 'Tablet');

ALTER TABLE {{ local "sessions" }} {{ on_cluster }}
    UPDATE
        browser_version = if(toString(browser) IN ['Chrome Mobile WebView', 'Facebook', 'Facebook Messenger', 'Instagram', 'Google', 'Snapchat', 'Pinterest', 'LinkedIn', 'Twitter', 'TikTok', 'WeChat', 'LINE'], '', toString(browser_version)),
        browser = if(toString(browser) IN ['Chrome Mobile WebView', 'Facebook', 'Facebook Messenger', 'Instagram', 'Google', 'Snapchat', 'Pinterest', 'LinkedIn', 'Twitter', 'TikTok', 'WeChat', 'LINE'], 'Mobile App',
            transform(toString(browser), ['Mobile Safari', 'Mobile Safari UI/WKWebView', 'Chrome Mobile', 'Chrome Mobile iOS', 'Firefox Mobile', 'Firefox iOS', 'Opera Mobile', 'Opera Mini', 'Edge', 'Edge Mobile', 'Samsung Internet', 'IE', 'DuckDuckGo Mobile', 'MiuiBrowser', 'HuaweiBrowser', 'Amazon Silk', 'Yandex Browser Lite'],
                ['Safari', 'Safari', 'Chrome', 'Chrome', 'Firefox', 'Firefox', 'Opera', 'Opera', 'Microsoft Edge', 'Microsoft Edge', 'Samsung Browser', 'Internet Explorer', 'DuckDuckGo Privacy Browser', 'MIUI Browser', 'Huawei Browser', 'Mobile Silk', 'Yandex Browser'], toString(browser))),
        os = multiIf(toString(os) IN ['Mac OS X', 'Mac OS'], 'Mac', toString(os) = 'Linux', 'GNU/Linux',
            toString(os) = 'iOS' AND toString(device) = 'Tablet' AND toUInt32OrZero(splitByChar('.', toString(os_version))[1]) >= 13, 'iPadOS',
            toString(os))
    WHERE toString(browser) IN ['Mobile Safari', 'Mobile Safari UI/WKWebView', 'Chrome Mobile', 'Chrome Mobile iOS', 'Firefox Mobile', 'Firefox iOS', 'Opera Mobile', 'Opera Mini', 'Edge', 'Edge Mobile', 'Samsung Internet', 'IE', 'DuckDuckGo Mobile', 'MiuiBrowser', 'HuaweiBrowser', 'Amazon Silk', 'Yandex Browser Lite', 'Chrome Mobile WebView', 'Facebook', 'Facebook Messenger', 'Instagram', 'Google', 'Snapchat', 'Pinterest', 'LinkedIn', 'Twitter', 'TikTok', 'WeChat', 'LINE']
        OR toString(os) IN ['Mac OS X', 'Mac OS', 'Linux']
        OR (toString(os) = 'iOS' AND toString(device) = 'Tablet');
