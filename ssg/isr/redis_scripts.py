"""The Lua scripts of the Redis backend: each one step that no other instance can interleave.

Every key a script touches starts with the site's `ssg:{<site>}:` prefix, so
on a Redis Cluster all of them hash to one slot (the braces are the hash tag)
and the scripts stay legal there.
"""

from __future__ import annotations

WRITE_ENTRY = """
-- Store an entry unless a newer one is there (fencing: a render that outlived
-- its lock must never overwrite the page of a render that began after it).
-- KEYS: entry hash, events stream
-- ARGV: version, meta JSON, body, TTL ms, url path, stream max length
local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
local version = tonumber(ARGV[1])
if current >= version then
  return 0
end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'meta', ARGV[2], 'body', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 't', 'entry', 'url', ARGV[5], 'v', ARGV[1])
return 1
"""

COMMIT_MARKS = """
-- Revalidate tags: one new number on the build's sequence, each tag marked
-- with it, an event every instance reads from the stream, and the data-cache
-- values carrying the tags dropped (so a revalidation made while Redis was away
-- drops them too, when it is committed on reconnection).
-- KEYS: sequence counter, tag -> sequence hash, events stream
-- ARGV: stream max length, tags as one JSON list, data value key prefix,
--       data tag set prefix, then each tag
local seq = redis.call('INCR', KEYS[1])
for i = 5, #ARGV do
  redis.call('HSET', KEYS[2], ARGV[i], seq)
  local tagged = ARGV[4] .. ARGV[i]
  local members = redis.call('SMEMBERS', tagged)
  for j = 1, #members, 1000 do
    local batch = {}
    for k = j, math.min(j + 999, #members) do
      batch[#batch + 1] = ARGV[3] .. members[k]
    end
    redis.call('UNLINK', unpack(batch))
  end
  redis.call('DEL', tagged)
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[1], '*', 't', 'reval', 'seq', seq, 'tags', ARGV[2])
return seq
"""

HEARTBEAT = """
-- An instance says it is alive; returns how many were in the last window.
-- Scored by Redis's own clock, so the instances' clocks never matter.
-- KEYS: instances sorted set
-- ARGV: instance id, window ms
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], ms, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms - window)
redis.call('PEXPIRE', KEYS[1], window * 4)
return redis.call('ZCARD', KEYS[1])
"""

RAISE_COUNTER = """
-- Raise a counter to at least a value (after Redis lost it: see RedisBuild.resync),
-- keeping its TTL; returns the counter's value after.
-- KEYS: the counter
-- ARGV: the least value
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local least = tonumber(ARGV[1])
if current >= least then
  return current
end
redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
return least
"""
