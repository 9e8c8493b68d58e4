-- stats: per known queue: name, ready count, leased count.
generation()
reclaim(now_ms())
local out = {}
for _, q in ipairs(redis.call('SMEMBERS', NAMES)) do
  out[#out + 1] = q
  out[#out + 1] = redis.call('ZCARD', ready(q))
  out[#out + 1] = tonumber(redis.call('HGET', LEASED, q) or 0)
end
return out
