-- search.lua: a wrk script that replays a file of request paths, one a line
-- (bench/gen_queries.py writes them), and reports what bench/run.sh needs.
--
--   wrk -t2 -c64 -d20s -s bench/search.lua http://127.0.0.1:PORT -- QUERIES [status]
--
-- Each thread pre-builds every request once (wrk.format is too slow to call
-- per request) and cycles through them, starting at its own offset so that
-- threads do not ask the same thing at the same moment. With the optional
-- argument "status", every response's status is counted by class (this
-- makes wrk parse responses and costs client CPU); without it, non-2xx means
-- wrk's own count of statuses > 399.
--
-- done() prints a human summary and one machine-readable line:
--   RESULT requests=N seconds=S rps=R p50_ms=A p90_ms=B p99_ms=C max_ms=D
--          non2xx=E socket_errors=F timeouts=G

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
   table.insert(threads, thread)
end

local reqs = {}
local n = 0
local i = 0

function init(args)
   local file = args[1] or "build/bench/queries.txt"
   local f = io.open(file, "r")
   if not f then
      io.stderr:write("search.lua: cannot open " .. file .. "\n")
      os.exit(2)
   end
   for line in f:lines() do
      line = line:gsub("%s+$", "")
      if line ~= "" then
         n = n + 1
         reqs[n] = wrk.format("GET", line)
      end
   end
   f:close()
   if n == 0 then
      io.stderr:write("search.lua: no requests in " .. file .. "\n")
      os.exit(2)
   end
   -- offsets spread by the golden ratio: distinct and far apart for any
   -- number of threads
   local frac = ((id - 1) * 0.6180339887498949) % 1.0
   i = math.floor(frac * n) % n
   s2xx, s3xx, s4xx, s5xx = 0, 0, 0, 0
   if args[2] == "status" then
      response = function(status, headers, body)
         if status < 300 then
            s2xx = s2xx + 1
         elseif status < 400 then
            s3xx = s3xx + 1
         elseif status < 500 then
            s4xx = s4xx + 1
         else
            s5xx = s5xx + 1
         end
      end
   end
end

function request()
   i = i + 1
   if i > n then
      i = 1
   end
   return reqs[i]
end

function done(summary, latency, requests)
   local secs = summary.duration / 1e6
   local rps = summary.requests / secs
   local e = summary.errors
   local non2xx = e.status
   local counted = false
   local c3, c4, c5 = 0, 0, 0
   for _, t in ipairs(threads) do
      local a3, a4, a5 = t:get("s3xx"), t:get("s4xx"), t:get("s5xx")
      local a2 = t:get("s2xx")
      if a2 and (a2 + (a3 or 0) + (a4 or 0) + (a5 or 0)) > 0 then
         counted = true
         c3, c4, c5 = c3 + a3, c4 + a4, c5 + a5
      end
   end
   if counted then
      non2xx = c3 + c4 + c5
   end
   local function ms(p)
      return latency:percentile(p) / 1000.0
   end
   local sock = e.connect + e.read + e.write
   io.write(string.format("  %d requests in %.2f s: %.1f requests/s\n", summary.requests, secs, rps))
   io.write(string.format("  latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                          ms(50), ms(90), ms(99), latency.max / 1000.0))
   if counted then
      io.write(string.format("  non-2xx responses: %d (3xx %d, 4xx %d, 5xx %d)\n", non2xx, c3, c4, c5))
   else
      io.write(string.format("  non-2xx responses (status > 399): %d\n", non2xx))
   end
   io.write(string.format("  socket errors: connect %d, read %d, write %d, timeout %d\n",
                          e.connect, e.read, e.write, e.timeout))
   io.write(string.format(
      "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d timeouts=%d\n",
      summary.requests, secs, rps, ms(50), ms(90), ms(99), latency.max / 1000.0, non2xx, sock,
      e.timeout))
end
