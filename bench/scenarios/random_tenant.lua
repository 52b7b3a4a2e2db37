-- GET /hello with a random Host from the file named by $HOSTS (one per line):
-- each request goes to a random henv.
local hosts = {}
for line in io.lines(os.getenv("HOSTS")) do
  if #line > 0 then hosts[#hosts + 1] = line end
end
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
  return wrk.format("GET", "/hello", { Host = hosts[math.random(1, #hosts)] })
end
