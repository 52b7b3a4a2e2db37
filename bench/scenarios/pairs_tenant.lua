-- GET /hello with a Host from the file named by $HOSTS (one per line): a
-- random henv, then the same henv again $GAP (default 500) requests later
-- on this wrk thread (a page, then its API calls); half of all requests
-- are such second visits.
local hosts = {}
for line in io.lines(os.getenv("HOSTS")) do
  if #line > 0 then hosts[#hosts + 1] = line end
end
local gap = math.max(1, tonumber(os.getenv("GAP") or "500"))
-- Each wrk thread seeded apart (seed_per_thread.lua, beside this file).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "seed_per_thread.lua")
local due = {} -- slot (request number % gap) -> the henv to visit again then
local n = 0
request = function()
  n = n + 1
  local slot = n % gap
  local host = due[slot]
  if host ~= nil then
    due[slot] = nil
  else
    host = hosts[math.random(1, #hosts)]
    due[slot] = host
  end
  return wrk.format("GET", "/hello", { Host = host })
end
