-- scopes (ARGV[1] is the namespace's root prefix): {the id of the last entry of the
-- new-scope signal ("0-0": none), then every scope pushed to}. Read together, so that a take
-- waiting after the id cannot miss a scope made after the list.
local last = redis.call('XREVRANGE', P .. 'scopes-signal', '+', '-', 'COUNT', 1)
local out = {last[1] and last[1][1] or '0-0'}
for _, s in ipairs(redis.call('SMEMBERS', P .. 'scopes')) do out[#out + 1] = s end
return out
