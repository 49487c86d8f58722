-- wrk script of the load kit: Basic credentials of the IdP's generated clients (IDP_LOAD_CLIENTS).
--
-- Environment:
--   LOAD_CLIENTS=N   rotate over clients load-1..load-N (one Authorization header per request)
--   LOAD_ONCE=FILE   send each client exactly once (a cold start or a cache fill), then send
--                    LOAD_AFTER_PATH (cheap, not counted) until the N-th response has arrived;
--                    then write "ONCE seconds=S ok=K failed=F" to FILE (wall time from the
--                    first request to the N-th response) and stop this thread; the kit sees the
--                    file and ends wrk (wrk itself only stops at -d). Use with -t1.
--   LOAD_METHOD, LOAD_BODY   for calling the IdP's token endpoint directly (POST + form body)
-- Prints one LOADKIT line (see summary.lua) when done.

local summary = dofile(os.getenv("LOAD_KIT_DIR") .. "/summary.lua")

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function base64(text)
  local out = {}
  for i = 1, #text, 3 do
    local a, b, c = text:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math.floor(n / 262144) % 64
    local c2 = math.floor(n / 4096) % 64
    local c3 = math.floor(n / 64) % 64
    local c4 = n % 64
    out[#out + 1] = alphabet:sub(c1 + 1, c1 + 1) .. alphabet:sub(c2 + 1, c2 + 1)
      .. (b and alphabet:sub(c3 + 1, c3 + 1) or "=") .. (c and alphabet:sub(c4 + 1, c4 + 1) or "=")
  end
  return table.concat(out)
end

local count = tonumber(os.getenv("LOAD_CLIENTS") or "1")
local once_file = os.getenv("LOAD_ONCE")
local once = once_file ~= nil and once_file ~= ""
local after_path = os.getenv("LOAD_AFTER_PATH") or "/"
local method = os.getenv("LOAD_METHOD") or "GET"
local body = os.getenv("LOAD_BODY")
local requests = {}
local after_request
local next_index = 0
local counted = 0
local ok = 0
local started

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } loadkit_timespec;
  int clock_gettime(int clock, loadkit_timespec *ts);
]]
local function now_seconds()
  local ts = ffi.new("loadkit_timespec")
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

function init(args)
  local base_headers = {}
  if body then base_headers["Content-Type"] = "application/x-www-form-urlencoded" end
  for i = 1, count do
    local secret = string.format("loadsecret-%022d", i)
    local headers = { Authorization = "Basic " .. base64("load-" .. i .. ":" .. secret) }
    for k, v in pairs(base_headers) do headers[k] = v end
    requests[i] = wrk.format(method, nil, headers, body)
  end
  after_request = wrk.format("GET", after_path)
end

function request()
  next_index = next_index + 1
  if once then
    if next_index == 1 then started = now_seconds() end
    if next_index > count then return after_request end
    return requests[next_index]
  end
  return requests[(next_index - 1) % count + 1]
end

function response(status, headers, body)
  if not once or counted >= count then return end
  counted = counted + 1
  if status >= 200 and status < 300 then ok = ok + 1 end
  if counted == count then
    local out = io.open(once_file, "w")
    out:write(string.format("ONCE seconds=%.6f ok=%d failed=%d\n", now_seconds() - started, ok, count - ok))
    out:close()
    wrk.thread:stop()
  end
end

done = summary.done
