-- take: ARGV[3] max, ARGV[4] lease in ms, ARGV[5..] distinct queue names.
-- Returns {1, then per delivery: queue, priority, payload, deliveries, id}, or when nothing
-- is ready {0, ms to the next lease expiry (-1: none), then per queue the id of the last
-- entry of its signal stream ("0-0": none)}.
local max = tonumber(ARGV[3])
local gen = generation()
local now = now_ms()
reclaim(now)

local chosen = {}
if #ARGV == 5 then
  local q = ARGV[5]
  local r = redis.call('ZPOPMIN', ready(q), max)
  for i = 1, #r, 2 do chosen[#chosen + 1] = {r[i], q} end
else
  local candidates = {}
  for i = 5, #ARGV do
    local q = ARGV[i]
    local r = redis.call('ZRANGE', ready(q), 0, max - 1, 'WITHSCORES')
    for j = 1, #r, 2 do candidates[#candidates + 1] = {r[j], q, tonumber(r[j + 1])} end
  end
  table.sort(candidates, function(x, y)
    if x[3] ~= y[3] then return x[3] < y[3] end
    return x[1] < y[1]
  end)
  for i = 1, math.min(max, #candidates) do
    local c = candidates[i]
    redis.call('ZREM', ready(c[2]), c[1])
    chosen[#chosen + 1] = c
  end
end

if #chosen == 0 then
  local out = {0, -1}
  local first = redis.call('ZRANGE', LEASES, 0, 0, 'WITHSCORES')
  if #first > 0 then out[2] = tonumber(first[2]) - now end
  for i = 5, #ARGV do
    local last = redis.call('XREVRANGE', signal(ARGV[i]), '+', '-', 'COUNT', 1)
    out[#out + 1] = last[1] and last[1][1] or '0-0'
  end
  return out
end

local expires = now + tonumber(ARGV[4])
local out = {1}
local counts = {}
for _, c in ipairs(chosen) do
  local m, q = c[1], c[2]
  local f = redis.call('HMGET', body(m), 'p', 'b')
  if f[1] then
    local d = redis.call('HINCRBY', body(m), 'd', 1)
    redis.call('ZADD', LEASES, expires, m)
    counts[q] = (counts[q] or 0) + 1
    local id = string.format('%d.%d@', tonumber(m), d) .. gen
    out[#out + 1] = q
    out[#out + 1] = f[1]
    out[#out + 1] = f[2]
    out[#out + 1] = d
    out[#out + 1] = id
  end
end
for q, n in pairs(counts) do redis.call('HINCRBY', LEASED, q, n) end
return out
