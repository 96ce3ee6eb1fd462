-- The read-only scenarios, one kind of request each, for -d seconds, the tokens taken in turn from a fixed set
-- (every token after its first use is one the service has verified and cached: no RSA work in the measure):
--   wrk ... -s bench/reads.lua URL -- TOKENS FIRST LAST get   EVENT_FIRST EVENT_LAST
--       B5: GET /v1/events/{id} of a random seeded event
--   wrk ... -s bench/reads.lua URL -- TOKENS FIRST LAST list  EVENT_FIRST EVENT_LAST BASE_EPOCH
--       B6: GET /v1/events?from=<a random seeded event's start>&limit=20 (as in browse.lua)
--   wrk ... -s bench/reads.lua URL -- TOKENS FIRST LAST pages PATH CURSORS
--       B7, B8: GET PATH?limit=20&cursor=<a random line of CURSORS> (deep pages of /v1/members, /v1/bookings)
-- The tokens are lines FIRST..LAST of TOKENS. A 200 whose page holds no item is counted under code `empty_page`
-- (a cursor past the end of the list would measure nothing).
local bench = dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "common.lua")

function setup(thread) bench.setup(thread) end

local tokens, turn, mode, event_first, event_last, base, path, cursors

function init(args)
  tokens = bench.read_lines(args[1], tonumber(args[2]), tonumber(args[3]))
  turn = id * math.floor(#tokens / 2)  -- the threads start half the set apart
  mode = args[4]
  if mode == "pages" then
    path = args[5]
    cursors = {}
    for line in io.lines(args[6]) do
      if line ~= "" then cursors[#cursors + 1] = line end
    end
    assert(#cursors > 0, args[6] .. " holds no cursor")
  else
    event_first, event_last, base = tonumber(args[5]), tonumber(args[6]), tonumber(args[7] or "0")
  end
  math.randomseed(2929 + 7919 * id)
end

function request()
  bench.sent()
  turn = turn % #tokens + 1
  local target
  if mode == "get" then
    target = "/v1/events/" .. bench.event_id(math.random(event_first, event_last))
  elseif mode == "list" then
    target = "/v1/events?from=" .. os.date("!%Y-%m-%dT%H:%M:%SZ", base + 60 * math.random(event_first, event_last))
        .. "&limit=20"
  else
    target = path .. "?limit=20&cursor=" .. cursors[math.random(#cursors)]
  end
  return wrk.format("GET", target, { ["Authorization"] = "Bearer " .. tokens[turn] })
end

function response(status, headers, body)
  bench.count(status, body)
  if status == 200 and mode == "pages" and not (body and body:find('"id"', 1, true)) then
    codes.empty_page = (codes.empty_page or 0) + 1
  end
end

function done(summary, latency, requests) bench.done(summary, latency, requests) end
