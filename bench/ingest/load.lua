-- The benchmark's traffic for wrk: the same mix as the Go generator in
-- main.go (weighted browsers with a long tail of builds, Zipf pages and
-- referrers, UTM tags on 1 in 10, a custom event 1 in 20, visitors making
-- 1-10 pageviews). The Go side fills the tables below.

local uas = {
{{- range .UAs}}
  {{printf "%q" .}},
{{- end}}
}
local referrers = {
{{- range .Referrers}}
  {{printf "%q" .}},
{{- end}}
}
local campaigns = {
{{- range .Campaigns}}
  {{printf "%q" .}},
{{- end}}
}

-- Cumulative weights of Go's rand.Zipf(s, v=1, imax): P(k) ~ (1+k)^-s.
local function zipf(s, imax)
  local cum, total = {}, 0
  for k = 0, imax do
    total = total + (1 + k) ^ -s
    cum[k + 1] = total
  end
  return function()
    local x = math.random() * total
    local lo, hi = 1, #cum
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if cum[mid] < x then lo = mid + 1 else hi = mid end
    end
    return lo - 1
  end
end

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

local page, ref
local left, ip, ua = 0, "", ""

function init(args)
  math.randomseed(id * 7919)
  page = zipf(1.2, 999)
  ref = zipf(1.3, #referrers - 1)
end

function request()
  if left == 0 then
    left = math.random(1, 10)
    ip = string.format("%d.%d.%d.%d", math.random(81, 90), math.random(0, 255), math.random(0, 255), math.random(1, 254))
    ua = uas[math.random(#uas)]
    if math.random(20) == 1 then
      ua = ua .. " build/" .. math.random(0, 1999)
    end
  end
  left = left - 1
  local query = ""
  if math.random(10) == 1 then
    query = campaigns[math.random(#campaigns)]
  end
  local name = "pageview"
  if math.random(20) == 1 then
    name = "Signup"
  end
  local body = '{"n":"' .. name .. '","u":"https://bench.example.fr/produits/' .. page() .. query ..
    '","d":"bench.example.fr","r":"' .. referrers[ref() + 1] .. '"}'
  return wrk.format("POST", "/api/event",
    {["Content-Type"] = "text/plain", ["User-Agent"] = ua, ["X-Forwarded-For"] = ip}, body)
end

-- No response() callback: it would make wrk parse every response into Lua
-- and double its CPU per request. Answers other than 2xx are counted by
-- wrk itself; the Go side checks the collector's own count of accepted
-- events against the store.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT answered=%d non2xx=%d errors=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests - e.status, e.status, e.connect + e.read + e.write + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max))
end
