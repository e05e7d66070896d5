-- verify-miss: POST /api/verification-codes/verify with a wrong 6-digit code for a random one of
-- BENCH_IDS prepared identifiers <BENCH_PREFIX><n>@bench.test (each holds a live code).
-- A random guess hits the real code with probability 1e-6 per request: negligible, and the
-- harness checks the outcome counters in /metrics after every round.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "report.lua")

local ids = tonumber(os.getenv("BENCH_IDS") or "10000")
local prefix = os.getenv("BENCH_PREFIX") or "miss"
local key = os.getenv("BENCH_KEY") or "bench-key-0123456789"

wrk.method = "POST"
wrk.path = "/api/verification-codes/verify"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function request()
  local n = math.random(0, ids - 1)
  local code = string.format("%06d", math.random(0, 999999))
  local body = '{"email":"' .. prefix .. n .. '@bench.test","verificationCode":"' .. code .. '"}'
  return wrk.format(nil, nil, nil, body)
end
