-- GET /hello with a Host from the file named by $HOSTS (one per line), a
-- share $HOT_SHARE (default 0.8) of requests to one of its first $HOT
-- (default 2000) henvs and the rest to any: henvs in steady use among many
-- visited now and then.
local hosts = {}
for line in io.lines(os.getenv("HOSTS")) do
  if #line > 0 then hosts[#hosts + 1] = line end
end
local hot = math.min(tonumber(os.getenv("HOT") or "2000"), #hosts)
local hot_share = tonumber(os.getenv("HOT_SHARE") or "0.8")
-- Each wrk thread seeded apart (seed_per_thread.lua, beside this file).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "seed_per_thread.lua")
request = function()
  local i
  if math.random() < hot_share then i = math.random(1, hot) else i = math.random(1, #hosts) end
  return wrk.format("GET", "/hello", { Host = hosts[i] })
end
