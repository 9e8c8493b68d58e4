-- release: ARGV[3..] delivery ids. The messages of live leases are ready again at once, in
-- their old place; returns the positions (from 1) of the ids whose lease was lost.
local gen = known_generation()
if not gen then return all_lost(#ARGV - 2) end
reclaim(now_ms())
local lost = {}
local woken = {}
for i = 3, #ARGV do
  local m, f = live(ARGV[i], gen)
  if m then
    redis.call('ZREM', LEASES, m)
    requeue(m, f[1], f[3], woken)
  else
    lost[#lost + 1] = i - 2
  end
end
wake(woken)
return lost
