-- extend: ARGV[3] lease in ms, ARGV[4..] delivery ids. Live leases now run out a lease from
-- now; returns the positions (from 1) of the ids whose lease was lost.
local gen = known_generation()
if not gen then return all_lost(#ARGV - 3) end
local now = now_ms()
reclaim(now)
local expires = now + tonumber(ARGV[3])
local lost = {}
for i = 4, #ARGV do
  local m = live(ARGV[i], gen)
  if m then
    redis.call('ZADD', LEASES, 'XX', expires, m)
  else
    lost[#lost + 1] = i - 3
  end
end
return lost
