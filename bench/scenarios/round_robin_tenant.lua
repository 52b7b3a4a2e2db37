-- GET /hello with the Host of each henv in turn, from the file named by
-- $HOSTS (one per line): with fewer henvs kept open than there are, every
-- request reaches one that is not (the cold scenario, with wrk's own
-- latency figures instead of a Python client's).
local hosts = {}
for line in io.lines(os.getenv("HOSTS")) do
  if #line > 0 then hosts[#hosts + 1] = line end
end
local next_host = 0
request = function()
  next_host = next_host % #hosts + 1
  return wrk.format("GET", "/hello", { Host = hosts[next_host] })
end
