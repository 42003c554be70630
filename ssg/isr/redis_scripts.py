"""The Lua scripts of the Redis backend: each one step that no other instance can interleave.

Every key a script touches starts with the site's `ssg:{<site>}:` prefix, so
on a Redis Cluster all of them hash to one slot (the braces are the hash tag)
and the scripts stay legal there.
"""

from __future__ import annotations

WRITE_ENTRY = """
-- Store an entry unless a newer one is there (fencing: a render that outlived
-- its lock must never overwrite the page of a render that began after it).
-- KEYS: entry hash, url -> version index, events stream
-- ARGV: version, meta JSON, body, TTL ms, url path, stream max length
local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
local version = tonumber(ARGV[1])
if current >= version then
  return 0
end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'meta', ARGV[2], 'body', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 't', 'entry', 'url', ARGV[5], 'v', ARGV[1])
return 1
"""

COMMIT_MARKS = """
-- Revalidate tags: one new number on the build's sequence, each tag marked
-- with it, and an event every instance reads from the stream.
-- KEYS: sequence counter, tag -> sequence hash, events stream
-- ARGV: stream max length, tags as one JSON list, then each tag
local seq = redis.call('INCR', KEYS[1])
for i = 3, #ARGV do
  redis.call('HSET', KEYS[2], ARGV[i], seq)
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
