-- B1 (hot event) and B3 (sell-out burst): COUNT bookings of one event, each by a distinct member, then stop.
--   wrk -t T -c C -d <safety limit> -s bench/book_slice.lua URL -- TOKENS EVENT_N FIRST COUNT T DONE_FILE
-- Members FIRST .. FIRST+COUNT-1 (line i of TOKENS is member bench-i) are split into one slice per thread;
-- a thread sends each token of its slice once. When its slice is all sent, its connections park (delay())
-- instead of sending more; when every answer of its slice is in, the thread stops, and the last thread to stop
-- ends the run (common.lua: thread_done). So the service sees exactly COUNT requests, COUNT members, once each.
local bench = dofile(debug.getinfo(1, "S").source:sub(2):match("^(.*/)") .. "common.lua")

function setup(thread) bench.setup(thread) end

local tokens, event, reserved, sent, slice, done_file, threads_total

function init(args)
  local path, event_n, first, count = args[1], tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  threads_total, done_file = tonumber(args[5]), args[6]
  event = bench.event_id(event_n)
  local from = first + math.floor(count * id / threads_total)
  local to = first + math.floor(count * (id + 1) / threads_total) - 1
  tokens = to >= from and bench.read_lines(path, from, to) or {}
  slice, reserved, sent = #tokens, 0, 0
  if slice == 0 then bench.thread_done(done_file, threads_total) end
end

-- Called before each request: 0 ms while the slice has tokens left (reserving one), else park for an hour.
function delay()
  if reserved < slice then
    reserved = reserved + 1
    return 0
  end
  return 3600000
end

function request()
  if reserved == 0 then
    -- wrk calls request() once before the run, to inspect the request (thread 0 only): nothing is sent.
    return bench.booking(tokens[1] or "none", event)
  end
  sent = math.min(sent + 1, slice)
  bench.sent()
  return bench.booking(tokens[sent], event)
end

function response(status, headers, body)
  bench.count(status, body)
  if responses == slice then
    bench.thread_done(done_file, threads_total)
    wrk.thread:stop()
  end
end

function done(summary, latency, requests) bench.done(summary, latency, requests) end
