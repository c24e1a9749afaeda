-- common.lua: what the wrk scripts of t/load.t and bench/run share.
-- Loaded by each script with dofile (wrk runs one script per process).
--
-- Environment read (wrk passes its own to the script):
--   WRK_THREADS   the -t given to wrk (to split a pool between threads)
--
-- done() prints lines for the caller to parse, after wrk's own report:
--   count KIND STATUS N     responses per kind and status (scripts that
--                           define response(); kinds are the scripts' own)
--   stats requests=N duration_us=N rps=F p50_us=N p99_us=N errors=N ...
-- errors is every request that did not end in a 2xx or 3xx: HTTP statuses
-- over 399 as wrk counts them, plus socket errors and timeouts.

local threads = {}

function setup(thread)
	table.insert(threads, thread)
	thread:set("id", #threads)
	thread:set("counts", {})
end

-- In a thread: one more response of this kind and status.
function count(kind, status)
	local k = kind .. " " .. status
	counts[k] = (counts[k] or 0) + 1
end

-- The n-th share (1-based id) of the lines of a file, for WRK_THREADS threads.
function share(path)
	local n = tonumber(os.getenv("WRK_THREADS") or "1") or 1
	local out, i = {}, 0
	for line in io.lines(path) do
		if line ~= "" then
			if i % n == id - 1 then
				out[#out + 1] = line
			end
			i = i + 1
		end
	end
	return out
end

-- Draining (t/load.t). With WRK_DRAIN_AFTER set, a script sends its
-- writes (logins, refreshes) only for that many seconds, then GETs of
-- WRK_DRAIN_PATH (/api/Products/GetAll, whose body is a JSON array).
-- Once none of its writes is in flight, the thread stops and creates the
-- file WRK_DRAINED.<thread id>; the caller waits for that file and then
-- ends wrk (SIGINT), so that every write the server made was answered and
-- counted, however slowly this machine serves them.
function drain_init()
	-- wrk 4 calls request() once on its first thread before any
	-- connection, to check it (script_verify_request), and never sends
	-- what that call returns: that write is never answered.
	writes_in_flight = id == 1 and -1 or 0
	local after = tonumber(os.getenv("WRK_DRAIN_AFTER") or "")
	drain_at = after and os.time() + after or nil
	drain = wrk.format("GET", os.getenv("WRK_DRAIN_PATH") or "/api/Products/GetAll")
end

function draining()
	return drain_at ~= nil and os.time() >= drain_at
end

-- From response(), after counting: stop once drained.
function drain_check()
	if drained or writes_in_flight > 0 or not draining() then
		return
	end
	drained = true
	local path = os.getenv("WRK_DRAINED")
	if path then
		local f = assert(io.open(path .. "." .. id, "w"))
		f:close()
	end
	wrk.thread:stop()
end

-- JSON string contents from our own inputs (tokens, e-mail addresses and
-- passwords made by the tests): only " and \ need escaping.
function jstr(s)
	return (s:gsub('[\\"]', "\\%0"))
end

function done(summary, latency, requests)
	local total = {}
	for _, t in ipairs(threads) do
		for k, v in pairs(t:get("counts") or {}) do
			total[k] = (total[k] or 0) + v
		end
	end
	local keys = {}
	for k in pairs(total) do
		keys[#keys + 1] = k
	end
	table.sort(keys)
	for _, k in ipairs(keys) do
		io.write(string.format("count %s %d\n", k, total[k]))
	end
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format(
		"stats requests=%d duration_us=%d rps=%.2f p50_us=%d p99_us=%d " ..
		"errors=%d status_errors=%d connect=%d read=%d write=%d timeout=%d\n",
		summary.requests, summary.duration,
		secs > 0 and summary.requests / secs or 0,
		latency:percentile(50), latency:percentile(99),
		e.status + e.connect + e.read + e.write + e.timeout,
		e.status, e.connect, e.read, e.write, e.timeout))
end
