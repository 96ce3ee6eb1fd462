-- B2 (spread) and the warm-up: each request books a random event for a random member.
--   wrk ... -s bench/book_random.lua URL -- TOKENS MEMBER_FIRST MEMBER_LAST EVENT_FIRST EVENT_LAST [COUNT T DONE_FILE]
-- Members are lines MEMBER_FIRST..MEMBER_LAST of TOKENS (bench-i), events the seeded ids EVENT_FIRST..EVENT_LAST.
-- A pair drawn twice is 409 already_booked, a full event 409 event_full: both are counted by code.
-- Without COUNT the run lasts wrk's -d; with COUNT, the T threads send COUNT requests in all and the run ends when
-- every answer is in (as in book_slice.lua).
local bench = dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "common.lua")

function setup(thread) bench.setup(thread) end

local tokens, events, share, reserved, threads_total, done_file

function init(args)
  local path, first, last = args[1], tonumber(args[2]), tonumber(args[3])
  local event_first, event_last = tonumber(args[4]), tonumber(args[5])
  local count = tonumber(args[6] or "0")
  threads_total, done_file = tonumber(args[7] or "1"), args[8]
  tokens = bench.read_lines(path, first, last)
  events = {}
  for n = event_first, event_last do events[#events + 1] = bench.event_id(n) end
  -- BENCH_ROUND: each warm-up round draws other pairs (the same ones again would all be already_booked)
  math.randomseed(4242 + 7919 * id + 104729 * tonumber(os.getenv("BENCH_ROUND") or "0"))
  reserved = 0
  if count > 0 then
    share = math.floor(count * (id + 1) / threads_total) - math.floor(count * id / threads_total)
    if share == 0 then bench.thread_done(done_file, threads_total) end
  end
end

-- With COUNT: 0 ms while this thread's share has requests left (reserving one), else park for an hour.
function delay()
  if share == nil or reserved < share then
    reserved = reserved + 1
    return 0
  end
  return 3600000
end

function request()
  if reserved > 0 then bench.sent() end -- (wrk calls request() once before the run, to inspect it)
  return bench.booking(tokens[math.random(#tokens)], events[math.random(#events)])
end

function response(status, headers, body)
  bench.count(status, body)
  if share ~= nil and responses == share then
    bench.thread_done(done_file, threads_total)
    wrk.thread:stop()
  end
end

function done(summary, latency, requests) bench.done(summary, latency, requests) end
