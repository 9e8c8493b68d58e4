-- Shared by every Weft queue script (prepended to each one).
-- ARGV[1]: the key prefix of the keys the script may touch: the namespace's unscoped queues
--          ("<namespace>:q:") or one scope's ("<namespace>:q:t:<scope>:"). A script touches
--          no key outside it, so a Redis user limited to a scope's keys can run it there.
-- ARGV[2]: a fresh random generation, used only when the prefix has none (a new or a
--          flushed server, a new scope).
-- Times are the server's (TIME), in milliseconds. A message is named by its 16-digit,
-- zero-padded sequence number (`m`), so that equal priorities sort by age.
local P = ARGV[1]
local LEASES = P .. 'leases' -- zset: m -> lease expiry
local LEASED = P .. 'leased' -- hash: queue -> number of leased messages
local NAMES = P .. 'names'   -- set: every queue pushed to
local HOLDERS = P .. 'keys'  -- hash: message key -> m
local function ready(q) return P .. 'ready:' .. q end   -- zset: m -> -priority
local function signal(q) return P .. 'signal:' .. q end -- stream: one entry per wake-up
local function body(m) return P .. 'm:' .. m end        -- hash: q p d b [k]

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function generation()
  local g = redis.call('GET', P .. 'generation')
  if not g then
    g = ARGV[2]
    redis.call('SET', P .. 'generation', g)
  end
  return g
end

-- The generation if there is one; nil when nothing was ever taken here since the contents
-- were lost (then no lease is live, and nothing needs to be written).
local function known_generation()
  return redis.call('GET', P .. 'generation')
end

-- The positions 1..n: every id of a call, lost.
local function all_lost(n)
  local lost = {}
  for i = 1, n do lost[i] = i end
  return lost
end

-- Wakes the takes waiting on the queues of the set `woken`.
local function wake(woken)
  for q in pairs(woken) do
    redis.call('XADD', signal(q), 'MAXLEN', '1', '*', 'w', '1')
  end
end

-- Puts leased message m of queue q and priority p back in line.
local function requeue(m, q, p, woken)
  redis.call('ZADD', ready(q), -tonumber(p), m)
  redis.call('HINCRBY', LEASED, q, -1)
  woken[q] = true
end

-- Puts every message whose lease ran out by `now` back in line.
local function reclaim(now)
  local expired = redis.call('ZRANGEBYSCORE', LEASES, '-inf', now)
  if #expired == 0 then return end
  local woken = {}
  for _, m in ipairs(expired) do
    redis.call('ZREM', LEASES, m)
    local f = redis.call('HMGET', body(m), 'q', 'p')
    if f[1] then requeue(m, f[1], f[2], woken) end
  end
  wake(woken)
end

-- The message of delivery id "<seq>.<deliveries>@<generation>" if its lease is live (call
-- after reclaim): m and its fields {q, d, p, k}; nil otherwise.
local function live(id, gen)
  local s, d, g = string.match(id, '^([1-9]%d*)%.([1-9]%d*)@(%x+)$')
  if not s or g ~= gen or #s > 15 then return nil end
  local m = string.format('%016d', tonumber(s))
  if not redis.call('ZSCORE', LEASES, m) then return nil end
  local f = redis.call('HMGET', body(m), 'q', 'd', 'p', 'k')
  if f[2] ~= d then return nil end
  return m, f
end

-- Removes message m for good, waiting or leased (its lease is lost).
local function remove(m)
  local q = redis.call('HGET', body(m), 'q')
  if not q then return end
  if redis.call('ZREM', ready(q), m) == 0 and redis.call('ZREM', LEASES, m) == 1 then
    redis.call('HINCRBY', LEASED, q, -1)
  end
  redis.call('DEL', body(m))
end
