/**
 * The Lua scripts of the bus. Redis runs a script whole or not at all, and no other command
 * runs in between, so leadership, de-duplication, the entries and the position move together:
 * a bridge killed at any instant has written either all of a batch and the position after it,
 * or none of it (its AOF records the script's effects as one MULTI/EXEC).
 *
 * Keys always come in the order of BusKeys: stream, state, lease, recent.
 */
import { ENTRY_ARGS } from './entry.js';
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
 * before it are forgotten; '' keeps all), maxLen ('0': no trimming), entry count, the call's
 * sequence number, then ENTRY_ARGS arguments per entry (entry.ts: its second, then the values
 * of `id`, `name`, `created_at`, `user_id`, `project_id`, `data`, `source`, `names`; log id
 * '' for an event Kitsu does not store, names '' for none).
 *
 * Refuses ({-1, holder}) unless the lease is this bridge's with this fencing number and that
 * number is still the newest: a leader paused past its lease writes nothing when it wakes.
 * Refuses ({-2, seq}) a call whose sequence number is not the one Redis expects next: the
 * bridge sends several calls before their replies come back, and one that was lost (a dropped
 * connection) must not be followed by the next one, which would leave a hole in the stream
 * (or, with the position it carries, lose rows for good); the bridge then reads the state
 * again. Skips every id already written (the overlap re-read gives some again). Each entry
 * gets a `fence` field, the term that wrote it: along the stream it never goes down. Returns
 * {added}.
 *
 * Written for speed (a backlog is hundreds of thousands of entries): the values come as plain
 * arguments, field names live here, the written ids are looked up in one ZMSCORE (a hash
 * lookup each: the sorted set keeps only the last seconds' ids) and added in one ZADD.
 */
export const WRITE_SCRIPT = luaScript(`
local holder = redis.call('GET', KEYS[3])
if holder ~= ARGV[1] .. '/' .. ARGV[2] or redis.call('HGET', KEYS[2], 'fence') ~= ARGV[2] then
  return {-1, holder or ''}
end
local seq = redis.call('HGET', KEYS[2], 'seq') or '0'
if seq ~= ARGV[7] then return {-2, seq} end
redis.call('HSET', KEYS[2], 'seq', tostring(tonumber(seq) + 1))
local fence = ARGV[2]
local maxLen = tonumber(ARGV[5])
local count = tonumber(ARGV[6])
local stride = ${ENTRY_ARGS}
local first = 7
local ids = {}
for e = 0, count - 1 do
  local id = ARGV[first + e * stride + 2]
  if id ~= '' then ids[#ids + 1] = id end
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
for e = 0, count - 1 do
  local b = first + e * stride
  local id = ARGV[b + 2]
  if id == '' or not written[id] then
    local names = ARGV[b + 9]
    if maxLen > 0 then
      if names == '' then
        redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxLen, '*', 'id', id, 'name', ARGV[b + 3],
          'created_at', ARGV[b + 4], 'user_id', ARGV[b + 5], 'project_id', ARGV[b + 6], 'data', ARGV[b + 7],
          'source', ARGV[b + 8], 'fence', fence)
      else
        redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxLen, '*', 'id', id, 'name', ARGV[b + 3],
          'created_at', ARGV[b + 4], 'user_id', ARGV[b + 5], 'project_id', ARGV[b + 6], 'data', ARGV[b + 7],
          'source', ARGV[b + 8], 'names', names, 'fence', fence)
      end
    elseif names == '' then
      redis.call('XADD', KEYS[1], '*', 'id', id, 'name', ARGV[b + 3],
        'created_at', ARGV[b + 4], 'user_id', ARGV[b + 5], 'project_id', ARGV[b + 6], 'data', ARGV[b + 7],
        'source', ARGV[b + 8], 'fence', fence)
    else
      redis.call('XADD', KEYS[1], '*', 'id', id, 'name', ARGV[b + 3],
        'created_at', ARGV[b + 4], 'user_id', ARGV[b + 5], 'project_id', ARGV[b + 6], 'data', ARGV[b + 7],
        'source', ARGV[b + 8], 'names', names, 'fence', fence)
    end
    if id ~= '' then
      written[id] = true
      fresh[#fresh + 1] = ARGV[b + 1]
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
