-- unheld: ARGV[3..] message keys. Returns the positions (from 1) of the keys no live message
-- holds: none in the key map, or one whose message is gone, or in no line and under no lease
-- (lost in part, as an eviction leaves it). An expired lease still holds its message: the
-- next operation puts it back in line.
local unheld = {}
for i = 3, #ARGV do
  local m = redis.call('HGET', HOLDERS, ARGV[i])
  local held = false
  if m then
    local q = redis.call('HGET', body(m), 'q')
    held = q and (redis.call('ZSCORE', ready(q), m) or redis.call('ZSCORE', LEASES, m))
  end
  if not held then unheld[#unheld + 1] = i - 2 end
end
return unheld
