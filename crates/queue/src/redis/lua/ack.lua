-- ack: ARGV[3..] delivery ids. Removes the messages of live leases for good; returns the
-- positions (from 1) of the ids whose lease was lost.
local gen = known_generation()
if not gen then return all_lost(#ARGV - 2) end
reclaim(now_ms())
local lost = {}
for i = 3, #ARGV do
  local m, f = live(ARGV[i], gen)
  if m then
    redis.call('ZREM', LEASES, m)
    redis.call('HINCRBY', LEASED, f[1], -1)
    if f[4] and redis.call('HGET', HOLDERS, f[4]) == m then
      redis.call('HDEL', HOLDERS, f[4])
    end
    redis.call('DEL', body(m))
  else
    lost[#lost + 1] = i - 2
  end
end
return lost
