-- wrk script: replays pre-signed raw requests from REQUESTS_FILE, each thread taking every n-th one, so no
-- signed request (and no signature nonce) is sent twice. A thread that has sent all of its share stops
-- rather than start over and replay nonces; wrk still divides by the whole duration, so bench/run.py treats
-- a run that used up its requests as void and repeats it with more.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(os.getenv("REQUESTS_FILE"), "rb"))
  local data = f:read("*a")
  f:close()
  requests = {}
  local n = 0
  for raw in string.gmatch(data, "([^%z]+)%z") do
    n = n + 1
    if (n - 1) % tonumber(os.getenv("WRK_THREADS")) == id then
      table.insert(requests, raw)
    end
  end
  index = 0
end

function request()
  index = index + 1
  if index > #requests then
    wrk.thread:stop()
    index = #requests   -- wrk may ask once more before the stop takes effect; that run is void anyway
  end
  return requests[index]
end
