-- get.lua: GET the URL given to wrk, with a bearer token when
-- WRK_TOKEN_FILE names a file holding one (so that it is never on a
-- command line). With WRK_COUNT=1 every status is counted under the kind
-- "get" (t/load.t); without, the headers and bodies are not even parsed,
-- so that the floor is measured with the least client work (bench/run).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

local tf = os.getenv("WRK_TOKEN_FILE")
if tf and tf ~= "" then
	local f = assert(io.open(tf))
	local token = f:read("*l")
	f:close()
	wrk.headers["Authorization"] = "Bearer " .. token
end

if os.getenv("WRK_COUNT") == "1" then
	function response(status, headers, body)
		count("get", status)
	end
end
