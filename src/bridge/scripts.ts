/**
 * The Lua scripts of the bus. Redis runs a script whole or not at all, and no other command
 * runs in between, so leadership, de-duplication, the entries and the position move together:
 * a bridge killed at any instant has written either all of a batch and the position after it,
 * or none of it (its AOF records the script's effects as one MULTI/EXEC).
 *
 * Keys always come in the order of BusKeys: stream, state, lease, recent.
 */
import { luaScript } from './redis.js';

/**
 * Takes or renews the lease. ARGV: owner, ttl (ms), the fence this bridge holds ('' for none).
 * Returns {1, fence} renewed, {2, fence} taken (a new fencing number), {0, holder, pttl} held
 * by another. A lease that lapsed is never renewed, only taken again with a new number: a
 * bridge that was paused past its lease must reload what another may have written meanwhile.
 */
export const LEASE_SCRIPT = luaScript(`
local current = redis.call('GET', KEYS[3])
if current then
  if ARGV[3] ~= '' and current == ARGV[1] .. '/' .. ARGV[3] then
    redis.call('PEXPIRE', KEYS[3], ARGV[2])
    return {1, ARGV[3]}
  end
  return {0, current, redis.call('PTTL', KEYS[3])}
end
local fence = redis.call('HINCRBY', KEYS[2], 'fence', 1)
redis.call('SET', KEYS[3], ARGV[1] .. '/' .. fence, 'PX', ARGV[2])
return {2, tostring(fence)}
`);

/** Lets go of the lease when this bridge still holds it. ARGV: owner, fence. */
export const RELEASE_SCRIPT = luaScript(`
if redis.call('GET', KEYS[3]) == ARGV[1] .. '/' .. ARGV[2] then
  redis.call('DEL', KEYS[3])
  return 1
end
return 0
`);

/**
 * Writes a batch. ARGV: owner, fence, position ('' leaves it), keepFrom (ids of seconds
 * before it are forgotten; '' keeps all), maxLen ('0': no trimming), entry count, then per
 * entry one JSON array: its second, then the values of ENTRY_FIELDS in that order (log id
 * first: '' for an event Kitsu does not store).
 *
 * Refuses ({-1, holder}) unless the lease is this bridge's with this fencing number and that
 * number is still the newest: a leader paused past its lease writes nothing when it wakes.
 * Skips every id already written (the overlap re-read gives some again). Each entry gets a
 * `fence` field, the term that wrote it: along the stream it never goes down. Returns {added}.
 *
 * Written for speed (a backlog is hundreds of thousands of entries): an entry is one argument
 * that cjson (C) takes apart, rather than eight that both sides encode and Redis turns into
 * Lua strings one by one; field names live here; the written ids are looked up in one
 * ZMSCORE and added in one ZADD.
 */
export const WRITE_SCRIPT = luaScript(`
local holder = redis.call('GET', KEYS[3])
if holder ~= ARGV[1] .. '/' .. ARGV[2] or redis.call('HGET', KEYS[2], 'fence') ~= ARGV[2] then
  return {-1, holder or ''}
end
local fence = ARGV[2]
local maxLen = tonumber(ARGV[5])
local count = tonumber(ARGV[6])
local entries = {}
local ids = {}
for e = 1, count do
  local entry = cjson.decode(ARGV[6 + e])
  entries[e] = entry
  if entry[2] ~= '' then ids[#ids + 1] = entry[2] end
end
local written = {}
if #ids > 0 then
  local scores = redis.call('ZMSCORE', KEYS[4], unpack(ids))
  for k = 1, #ids do
    if scores[k] then written[ids[k]] = true end
  end
end
local added = 0
local fresh = {}
for e = 1, count do
  local v = entries[e]
  local id = v[2]
  if id == '' or not written[id] then
    if maxLen > 0 then
      redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxLen, '*',
        'id', id, 'name', v[3], 'created_at', v[4], 'user_id', v[5],
        'project_id', v[6], 'data', v[7], 'source', v[8], 'fence', fence)
    else
      redis.call('XADD', KEYS[1], '*',
        'id', id, 'name', v[3], 'created_at', v[4], 'user_id', v[5],
        'project_id', v[6], 'data', v[7], 'source', v[8], 'fence', fence)
    end
    if id ~= '' then
      written[id] = true
      fresh[#fresh + 1] = v[1]
      fresh[#fresh + 1] = id
    end
    added = added + 1
  end
end
if #fresh > 0 then redis.call('ZADD', KEYS[4], unpack(fresh)) end
if ARGV[3] ~= '' then
  local old = tonumber(redis.call('HGET', KEYS[2], 'position') or '-1')
  if tonumber(ARGV[3]) > old then redis.call('HSET', KEYS[2], 'position', ARGV[3]) end
end
if ARGV[4] ~= '' then redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[4]) end
if added > 0 then redis.call('HINCRBY', KEYS[2], 'entries', added) end
return {added}
`);
