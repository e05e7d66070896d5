-- verify-miss: POST /api/verification-codes/verify with a wrong 6-digit code for a random one of
-- BENCH_IDS prepared identifiers <BENCH_PREFIX><n>@bench.test (each holds a live code).
-- A random guess hits the real code with probability 1e-6 per request: negligible, and the
-- harness checks the outcome counters in /metrics after every round.
--
-- wrk runs on the same two cores as the services, so its own cost per request is taken from them.
-- The request line and headers are formatted once (`wrk.format` on a probe body) and each request
-- only joins them with its new body and length: 5 instead of 7-10 µs of wrk's user time per
-- request (measured with `/usr/bin/time` around wrk, 16 connections). Every request still draws
-- its own identifier and guess: a pool of prepared requests would be cheaper still, but it would
-- confine the guesses to the pool's identifiers and so shrink the store's working set, which the
-- scaling scenario (1,000,000 identifiers) exists to measure.
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

local random, format = math.random, string.format
local opening = '{"email":"' .. prefix
-- The request up to the Content-Length value, and from the end of that line to the body.
local head, tail

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  local probe = wrk.format(nil, nil, nil, "#")
  local from, to = probe:find("Content-Length: 1\r\n", 1, true)
  assert(from and probe:sub(-1) == "#", "unexpected request layout from wrk.format")
  head = probe:sub(1, from - 1) .. "Content-Length: "
  tail = "\r\n" .. probe:sub(to + 1, -2)
end

function request()
  local body = opening .. random(0, ids - 1) .. format('@bench.test","verificationCode":"%06d"}', random(0, 999999))
  return head .. #body .. tail .. body
end
