-- GET /hello with a random Host from the file named by $HOSTS (one per line):
-- each request goes to a random henv.
local hosts = {}
for line in io.lines(os.getenv("HOSTS")) do
  if #line > 0 then hosts[#hosts + 1] = line end
end
-- Each wrk thread seeded apart (seed_per_thread.lua, beside this file).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "seed_per_thread.lua")
request = function()
  return wrk.format("GET", "/hello", { Host = hosts[math.random(1, #hosts)] })
end
