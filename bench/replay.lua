-- wrk script: replays pre-signed raw requests from REQUESTS_FILE, each thread taking every n-th one, so no
-- signed request (and no signature nonce) is sent twice.
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
  if index > #requests then index = 1 end
  return requests[index]
end
