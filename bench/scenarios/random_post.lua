-- GET /posts/:id with a random id in 1..10000.
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
  return wrk.format("GET", "/posts/" .. math.random(1, 10000))
end
