-- register: ARGV[3..] scopes being pushed to (ARGV[1] is the namespace's root prefix).
-- Adds them to the registry of scopes and, when any is new, wakes the takes of `*/<queue>`
-- waiting on the new-scope signal. Returns the number of new scopes.
local added = 0
for i = 3, #ARGV do
  added = added + redis.call('SADD', P .. 'scopes', ARGV[i])
end
if added > 0 then
  redis.call('XADD', P .. 'scopes-signal', 'MAXLEN', '1', '*', 'w', '1')
end
return added
