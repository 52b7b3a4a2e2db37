-- GET /hello with a Host from the file named by $HOSTS (one per line), 80%
-- of requests to one of its first $HOT (default 2000) henvs and the rest to
-- any: henvs in steady use among many visited now and then.
local hosts = {}
for line in io.lines(os.getenv("HOSTS")) do
  if #line > 0 then hosts[#hosts + 1] = line end
end
local hot = math.min(tonumber(os.getenv("HOT") or "2000"), #hosts)
-- wrk runs this script in a Lua state per thread: seeded alike (os.time()),
-- every thread would ask for the same sequence (bench.py's two threads sent
-- each henv twice). setup() numbers the threads; each seeds with its own.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_index", threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + (thread_index or 0))
end
request = function()
  local i
  if math.random() < 0.8 then i = math.random(1, hot) else i = math.random(1, #hosts) end
  return wrk.format("GET", "/hello", { Host = hosts[i] })
end
