-- Loaded by the random scenarios (dofile): wrk runs a scenario in one Lua
-- state per thread, and seeded alike (os.time()) every thread would ask
-- for the same sequence (bench.py's two threads sent each henv twice).
-- setup() numbers the threads; each seeds with its own number.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_index", threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + (thread_index or 0))
end
