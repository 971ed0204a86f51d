-- POST /token, grant_type=client_credentials, the client authenticating with HTTP Basic
-- (client_secret_basic). BENCH_BASIC is base64(client_id:client_secret), made by run.sh.
dofile((os.getenv("BENCH_LUA_DIR") or "lua") .. "/report.lua")
local basic = os.getenv("BENCH_BASIC") or error("BENCH_BASIC is not set")
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Basic " .. basic
