-- GET the URL given to wrk (discovery document, JWKS).
dofile((os.getenv("BENCH_LUA_DIR") or "lua") .. "/report.lua")
wrk.method = "GET"
wrk.headers["Accept"] = "application/json"
