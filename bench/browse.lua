-- B4 (browse): for -d seconds, half the requests GET /v1/events/{id} of a random seeded event, half
-- GET /v1/events?from=<a random event's start>&limit=20; each with a random member's token.
--   wrk -t T -c C -d D -s bench/browse.lua URL -- TOKENS MEMBER_COUNT EVENT_FIRST EVENT_LAST BASE_EPOCH
-- Seeded event n starts at BASE_EPOCH + n minutes (bench/seed.sql); pgbench's b4 scripts ask for the same.
local bench = dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "common.lua")

function setup(thread) bench.setup(thread) end

local tokens, event_first, event_last, base

function init(args)
  tokens = bench.read_lines(args[1], 1, tonumber(args[2]))
  event_first, event_last, base = tonumber(args[3]), tonumber(args[4]), tonumber(args[5])
  math.randomseed(1717 + 7919 * id)
end

function request()
  bench.sent()
  local n = math.random(event_first, event_last)
  local path
  if math.random(2) == 1 then
    path = "/v1/events/" .. bench.event_id(n)
  else
    path = "/v1/events?from=" .. os.date("!%Y-%m-%dT%H:%M:%SZ", base + 60 * n) .. "&limit=20"
  end
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] })
end

function response(status, headers, body) bench.count(status, body) end

function done(summary, latency, requests) bench.done(summary, latency, requests) end
