-- GET /page/:id (the EJS page) with a random id in 1..10000.
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/page/" .. math.random(1, 10000))
end
