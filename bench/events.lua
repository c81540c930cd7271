-- wrk script: POSTs events as JSON and prints one JSON line of figures when done.
--   wrk ... -s bench/events.lua URL -- TYPE [BATCH]
-- TYPE: the events' type. BATCH: 0 (default) posts one event per request, as
-- POST /api/events takes it; N > 0 posts {"events": [N events]}, as the batch endpoint takes
-- it.
-- Every event has its own user id, so the service cannot answer from a cache.

local kind, batch
local sent = 0

local next_thread = 1
function setup(thread)
   thread:set("thread_number", next_thread)
   next_thread = next_thread + 1
end

local function event()
   sent = sent + 1
   return string.format('{"type":"%s","user":{"id":"u%d_%d"},"data":{"n":%d}}',
                        kind, thread_number, sent, sent)
end

function init(args)
   kind = args[1] or "unheard"
   batch = tonumber(args[2] or "0")
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   if batch == 0 then
      return wrk.format(nil, nil, nil, event())
   end
   local events = {}
   for i = 1, batch do events[i] = event() end
   return wrk.format(nil, nil, nil, '{"events":[' .. table.concat(events, ",") .. ']}')
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests":%d,"duration_us":%d,"non_2xx":%d,"socket_errors":%d,' ..
      '"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
      summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
      latency:percentile(50), latency:percentile(99), latency.max))
end
