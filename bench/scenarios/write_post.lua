-- POST /posts with a small JSON body (each request a new row).
local n = 0
request = function()
  n = n + 1
  local body = '{"title":"Written ' .. n .. '","body":"A small post body written by the benchmark."}'
  return wrk.format("POST", "/posts", { ["Content-Type"] = "application/json" }, body)
end
