-- Back to uap-go's names where one name maps back to one: Mac, GNU/Linux,
-- iPadOS and renamed browsers. Folded names stay folded (a mobile Safari
-- or Chrome stays Safari or Chrome, in-app browsers stay Mobile App):
-- nothing tells them apart any more.
ALTER TABLE {{ local "events" }} {{ on_cluster }}
    UPDATE
        browser = transform(toString(browser), ['Microsoft Edge', 'Samsung Browser', 'Internet Explorer', 'DuckDuckGo Privacy Browser', 'MIUI Browser', 'Huawei Browser', 'Mobile Silk'],
            ['Edge', 'Samsung Internet', 'IE', 'DuckDuckGo Mobile', 'MiuiBrowser', 'HuaweiBrowser', 'Amazon Silk'], toString(browser)),
        os = multiIf(toString(os) = 'Mac', 'Mac OS X', toString(os) = 'GNU/Linux', 'Linux', toString(os) = 'iPadOS', 'iOS', toString(os))
    WHERE toString(browser) IN ['Microsoft Edge', 'Samsung Browser', 'Internet Explorer', 'DuckDuckGo Privacy Browser', 'MIUI Browser', 'Huawei Browser', 'Mobile Silk']
        OR toString(os) IN ['Mac', 'GNU/Linux', 'iPadOS'];

ALTER TABLE {{ local "sessions" }} {{ on_cluster }}
    UPDATE
        browser = transform(toString(browser), ['Microsoft Edge', 'Samsung Browser', 'Internet Explorer', 'DuckDuckGo Privacy Browser', 'MIUI Browser', 'Huawei Browser', 'Mobile Silk'],
            ['Edge', 'Samsung Internet', 'IE', 'DuckDuckGo Mobile', 'MiuiBrowser', 'HuaweiBrowser', 'Amazon Silk'], toString(browser)),
        os = multiIf(toString(os) = 'Mac', 'Mac OS X', toString(os) = 'GNU/Linux', 'Linux', toString(os) = 'iPadOS', 'iOS', toString(os))
    WHERE toString(browser) IN ['Microsoft Edge', 'Samsung Browser', 'Internet Explorer', 'DuckDuckGo Privacy Browser', 'MIUI Browser', 'Huawei Browser', 'Mobile Silk']
        OR toString(os) IN ['Mac', 'GNU/Linux', 'iPadOS'];
