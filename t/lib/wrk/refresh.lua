-- refresh.lua: POST /api/Auth/RefreshToken (or /oauth2/token's refresh
-- grant), each request with a refresh token used once. Rotation makes a token single-use, so the tokens come
-- from a pool minted beforehand (WRK_POOL, one per line, split between
-- the threads) and, once a thread has handed out its share, from the new
-- tokens of its own 200 answers (unless WRK_RECYCLE=0): every token is
-- still presented exactly once, and the families grow chains.
--
--   WRK_POOL        file of refresh tokens (required)
--   WRK_CLIENT      ClientId the tokens were issued to (Client1)
--   WRK_OAUTH2=1    the same rotation through the OAuth 2.0 token endpoint
--                   (POST /oauth2/token, grant_type=refresh_token, a public
--                   client by client_id; SPEC §9) instead of RefreshToken
--   WRK_DRAIN_AFTER seconds after which no refresh is sent any more
--   WRK_DRAIN_PATH  and WRK_DRAINED: see "Draining" in common.lua
-- A thread whose queue is empty (all its tokens in flight) sends a drain
-- request too. Counts: "refresh STATUS" and "drain STATUS".
--
-- With WRK_RECYCLE=0 and neither WRK_DRAIN_AFTER nor WRK_COUNT=1 (bench/run),
-- the answers are not even parsed, to spend the least client CPU on the
-- machine being measured; a thread that has handed out its whole share
-- then sends a token that cannot exist, and the 401s show as errors.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

local recycle = os.getenv("WRK_RECYCLE") ~= "0"
local parse = recycle or os.getenv("WRK_DRAIN_AFTER") or os.getenv("WRK_COUNT") == "1"

local oauth2 = os.getenv("WRK_OAUTH2") == "1"

-- The request presenting token t: tokens and client ids are base64url
-- and plain names here, nothing to escape in a form or a JSON string.
local function refresh_request(t)
	if oauth2 then
		return wrk.format("POST", "/oauth2/token", headers,
			"grant_type=refresh_token&refresh_token=" .. t .. "&client_id=" .. client)
	end
	return wrk.format("POST", "/api/Auth/RefreshToken", headers,
		'{"RefreshToken":"' .. jstr(t) .. '","ClientId":"' .. jstr(client) .. '"}')
end

function init(args)
	queue = share(assert(os.getenv("WRK_POOL"), "WRK_POOL is not set"))
	head, tail = 1, #queue
	client = os.getenv("WRK_CLIENT") or "Client1"
	drain_init()
	headers = { ["Content-Type"] = oauth2 and "application/x-www-form-urlencoded" or "application/json" }
end

function request()
	if draining() then
		return drain
	end
	if head > tail then
		if parse then
			return drain
		end
		return refresh_request("pool-exhausted")
	end
	local t = queue[head]
	queue[head] = nil
	head = head + 1
	writes_in_flight = writes_in_flight + 1
	return refresh_request(t)
end

if parse then
	function response(status, hdrs, body)
		if body:sub(1, 1) == "[" then
			count("drain", status)
		else
			writes_in_flight = writes_in_flight - 1
			count("refresh", status)
			if status == 200 and recycle then
				local t = body:match(oauth2 and '"refresh_token":"([^"]+)"' or '"RefreshToken":"([^"]+)"')
				if t then
					tail = tail + 1
					queue[tail] = t
				end
			end
		end
		drain_check()
	end
end
