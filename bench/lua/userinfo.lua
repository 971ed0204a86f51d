-- GET /userinfo with a user's access token from a real login (get_token.py) as a Bearer header.
dofile((os.getenv("BENCH_LUA_DIR") or "lua") .. "/report.lua")
local token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")
wrk.method = "GET"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
