-- Shared by the benchmark's wrk scripts (loaded with dofile by each of them): tokens, wall-clock time,
-- counters of responses by HTTP status and problem code, and the one-line JSON summary bench/run.sh reads.
-- wrk gives every thread its own Lua state, so the counters are per thread; done() runs in the main state and
-- reads them from each thread with thread:get(...), which is why setup() keeps the thread objects.

local ffi = require("ffi")
pcall(ffi.cdef, [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *tp);
int getpid(void);
int kill(int pid, int sig);
]])

local M = {}
local ts = ffi.new("bench_timespec")

-- Wall-clock seconds (CLOCK_REALTIME), comparable across threads.
function M.now()
  ffi.C.clock_gettime(0, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

-- Lines first..last (1-based, inclusive) of a file.
function M.read_lines(path, first, last)
  local lines, i = {}, 0
  for line in io.lines(path) do
    i = i + 1
    if i > last then break end
    if i >= first then lines[#lines + 1] = line end
  end
  if #lines ~= last - first + 1 then
    error(path .. " has fewer than " .. last .. " lines")
  end
  return lines
end

-- Per-thread counters (globals, so that thread:get can read them).
statuses = {}      -- HTTP status -> responses
codes = {}         -- problem+json "code" of non-2xx responses -> responses
responses = 0
first_sent = nil   -- wall-clock time of this thread's first request
last_received = nil
last_created = nil -- wall-clock time of this thread's last 201

function M.sent()
  if first_sent == nil then first_sent = M.now() end
end

function M.count(status, body)
  local t = M.now()
  responses = responses + 1
  statuses[status] = (statuses[status] or 0) + 1
  last_received = t
  if status == 201 then last_created = t end
  if status >= 300 then
    local code = body and body:match('"code"%s*:%s*"([^"]+)"') or ("http_" .. status)
    codes[code] = (codes[code] or 0) + 1
  end
end

-- Threads (main state).
local threads = {}
local next_id = 0
function M.setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  threads[#threads + 1] = thread
end

-- Ends the whole run early: wrk's main thread sleeps for -d, and SIGINT is what wakes it (wrk then stops
-- every thread and reports, with the elapsed time measured up to that moment). Each thread that is done
-- appends a byte to done_file; the last one to do so sends the signal.
function M.thread_done(done_file, threads_total)
  local f = assert(io.open(done_file, "a"))
  f:write("x")
  f:close()
  f = assert(io.open(done_file, "r"))
  local size = f:seek("end")
  f:close()
  if size >= threads_total then
    ffi.C.kill(ffi.C.getpid(), 2)
  end
end

local function json(value)
  local kind = type(value)
  if kind == "table" then
    local parts = {}
    for k, v in pairs(value) do parts[#parts + 1] = string.format("%q:%s", tostring(k), json(v)) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif kind == "number" then
    return string.format("%.6f", value)
  elseif kind == "nil" then
    return "null"
  end
  return string.format("%q", tostring(value))
end

-- The summary line: "BENCH_JSON {...}" (latencies in microseconds, times in wall-clock seconds).
function M.done(summary, latency, requests)
  local total = { statuses = {}, codes = {}, responses = 0 }
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses") or {}) do total.statuses[k] = (total.statuses[k] or 0) + v end
    for k, v in pairs(thread:get("codes") or {}) do total.codes[k] = (total.codes[k] or 0) + v end
    total.responses = total.responses + (thread:get("responses") or 0)
    local f, l, c = thread:get("first_sent"), thread:get("last_received"), thread:get("last_created")
    if f and (total.first_sent == nil or f < total.first_sent) then total.first_sent = f end
    if l and (total.last_received == nil or l > total.last_received) then total.last_received = l end
    if c and (total.last_created == nil or c > total.last_created) then total.last_created = c end
  end
  total.requests = summary.requests
  total.duration_us = summary.duration
  total.bytes = summary.bytes
  total.errors = summary.errors
  total.latency_us = {
    mean = latency.mean, max = latency.max, p50 = latency:percentile(50), p90 = latency:percentile(90),
    p99 = latency:percentile(99), p999 = latency:percentile(99.9),
  }
  io.write("BENCH_JSON " .. json(total) .. "\n")
end

function M.booking(token, event)
  return wrk.format("POST", "/v1/bookings",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" },
    '{"eventId":"' .. event .. '"}')
end

-- Seeded events have ids derived from a number (bench/seed.sql).
function M.event_id(n)
  return string.format("b0000000-0000-4000-8000-%012d", n)
end

return M
