-- GET /page/:id (the EJS page) with a random id in 1..10000.
-- Each wrk thread seeded apart (seed_per_thread.lua, beside this file).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "seed_per_thread.lua")
request = function()
  return wrk.format("GET", "/page/" .. math.random(1, 10000))
end
