-- push: ARGV[3] the number of messages, then per message: queue, priority, key ("" for none,
-- "=" .. key otherwise), payload. Returns {the prefix's generation, 1 if this push made it
-- (a new prefix, or one whose contents were lost) else 0}, so that the pusher knows when to
-- register the scope again.
local n = tonumber(ARGV[3])
local made = known_generation() and 0 or 1
local gen = generation()
reclaim(now_ms())
local last = redis.call('INCRBY', P .. 'seq', n)
local woken = {}
for i = 0, n - 1 do
  local a = 4 + 4 * i
  local q, p, k, b = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local m = string.format('%016d', last - n + 1 + i)
  if k == '' then
    redis.call('HSET', body(m), 'q', q, 'p', p, 'd', '0', 'b', b)
  else
    k = string.sub(k, 2)
    local old = redis.call('HGET', HOLDERS, k)
    if old then remove(old) end
    redis.call('HSET', HOLDERS, k, m)
    redis.call('HSET', body(m), 'q', q, 'p', p, 'd', '0', 'b', b, 'k', k)
  end
  redis.call('ZADD', ready(q), -tonumber(p), m)
  if not woken[q] then
    woken[q] = true
    redis.call('SADD', NAMES, q)
  end
end
wake(woken)
return {gen, made}
