-- edge: a plain GET of the URL given to wrk (GET /healthz, or nginx's 2-byte file).
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "report.lua")
