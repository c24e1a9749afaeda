-- login.lua: POST /api/Auth/Login, cycling through the accounts of
-- WRK_USERS (lines "EMAIL PASSWORD", split between the threads) so that
-- the per-account throttle row is not one hot spot.
--
--   WRK_USERS        file of accounts (required)
--   WRK_CLIENT       ClientId (Client1)
--   WRK_DRAIN_AFTER  seconds after which no login is sent any more
--   WRK_DRAIN_PATH   and WRK_DRAINED: see "Draining" in common.lua
-- Counts, with WRK_COUNT=1 or WRK_DRAIN_AFTER (else the answers are not
-- parsed, to spend the least client CPU): "login STATUS", "drain STATUS".
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

function init(args)
	local client = jstr(os.getenv("WRK_CLIENT") or "Client1")
	local headers = { ["Content-Type"] = "application/json" }
	local path = assert(os.getenv("WRK_USERS"), "WRK_USERS is not set")
	local lines = share(path)
	if #lines == 0 then
		-- More threads than accounts: this thread shares them all.
		for line in io.lines(path) do
			if line ~= "" then
				lines[#lines + 1] = line
			end
		end
	end
	reqs = {}
	for _, line in ipairs(lines) do
		local email, pw = line:match("^(%S+)%s+(.+)$")
		reqs[#reqs + 1] = wrk.format("POST", "/api/Auth/Login", headers,
			'{"Email":"' .. jstr(email) .. '","Password":"' .. jstr(pw) ..
			'","ClientId":"' .. client .. '"}')
	end
	next_req = 1
	drain_init()
end

function request()
	if draining() then
		return drain
	end
	local r = reqs[next_req]
	next_req = next_req % #reqs + 1
	writes_in_flight = writes_in_flight + 1
	return r
end

if os.getenv("WRK_COUNT") == "1" or os.getenv("WRK_DRAIN_AFTER") then
	function response(status, hdrs, body)
		if body:sub(1, 1) == "[" then
			count("drain", status)
		else
			writes_in_flight = writes_in_flight - 1
			count("login", status)
		end
		drain_check()
	end
end
