package redis

import goredis "github.com/redis/go-redis/v9"

// The Lua scripts below are the only writers of the shared state, so each
// change is atomic across nodes. Every key starts with the hash tag
// "{prefix}" (ARGV[1] of every script), so all of them live in one slot of
// a Redis Cluster; KEYS[1] is always "{prefix}:nodes", naming that slot.
//
//	{p}:nodes        SET of the registered node ids
//	{p}:alive:<node> "1" with a PX time-to-live the node refreshes
//	{p}:n:<node>     SET of "<user>:<conn>", the node's connections
//	{p}:u:<user>     HASH conn -> node, the user's connections
//
// A connection counts (as online, and against the limit) only while the
// alive key of its node exists. User ids travel as decimal strings, never as
// Lua numbers (doubles), so every int64 survives.

// prelude holds the helpers every script shares.
const prelude = `
local p = ARGV[1]
local alive_cache = {}
local function alive(node)
  local a = alive_cache[node]
  if a == nil then
    a = redis.call('EXISTS', p .. ':alive:' .. node) == 1
    alive_cache[node] = a
  end
  return a
end
local function ukey(user) return p .. ':u:' .. user end
local function nkey(node) return p .. ':n:' .. node end
local function livecount(user)
  local n = 0
  for _, node in ipairs(redis.call('HVALS', ukey(user))) do
    if alive(node) then n = n + 1 end
  end
  return n
end
local function live(user) return livecount(user) > 0 end
local function split(m)
  local i = string.find(m, ':', 1, true)
  return string.sub(m, 1, i - 1), string.sub(m, i + 1)
end
-- drop forgets every connection of node, and returns the users it had,
-- each once, in a fixed order.
local function drop(node)
  local users, seen = {}, {}
  for _, m in ipairs(redis.call('SMEMBERS', nkey(node))) do
    local u, c = split(m)
    if redis.call('HGET', ukey(u), c) == node then redis.call('HDEL', ukey(u), c) end
    if not seen[u] then seen[u] = true; users[#users + 1] = u end
  end
  redis.call('DEL', nkey(node))
  return users
end
`

func script(body string) *goredis.Script { return goredis.NewScript(prelude + body) }

// connectScript records a connection. ARGV: prefix, node, user, conn,
// limit. It returns 1 when the user has just come online, 0 when not (or
// the connection was already recorded), -1 at the limit (nothing
// recorded), -2 when it was recorded but the node is not alive (it counts
// once the node records its connections again).
var connectScript = script(`
local node, user, conn = ARGV[2], ARGV[3], ARGV[4]
local uk = ukey(user)
if redis.call('HEXISTS', uk, conn) == 1 then return 0 end
local n = livecount(user)
local limit = tonumber(ARGV[5])
if limit > 0 and n >= limit then return -1 end
redis.call('HSET', uk, conn, node)
redis.call('SADD', nkey(node), user .. ':' .. conn)
if not alive(node) then return -2 end
if n == 0 then return 1 end
return 0
`)

// disconnectScript forgets a connection of this node. ARGV: prefix, node,
// user, conn. It returns 1 when the user has no live connection left, 0
// otherwise (or when the connection was not recorded by this node).
var disconnectScript = script(`
local node, user, conn = ARGV[2], ARGV[3], ARGV[4]
local uk = ukey(user)
if redis.call('HGET', uk, conn) ~= node then return 0 end
redis.call('HDEL', uk, conn)
redis.call('SREM', nkey(node), user .. ':' .. conn)
if live(user) then return 0 end
return 1
`)

// onlineScript answers, for each user in ARGV[2:], 1 if online, else 0.
var onlineScript = script(`
local out = {}
for i = 2, #ARGV do
  if live(ARGV[i]) then out[#out + 1] = 1 else out[#out + 1] = 0 end
end
return out
`)

// refreshScript extends the node's liveness. ARGV: prefix, node, ttl in
// ms. It returns 1, or 0 when the node was reaped or its liveness lapsed:
// it must then record its connections again (syncScript).
var refreshScript = script(`
local node = ARGV[2]
if redis.call('SISMEMBER', p .. ':nodes', node) == 0 then return 0 end
return redis.call('PEXPIRE', p .. ':alive:' .. node, ARGV[3])
`)

// syncScript makes the shared state of a node what the node holds: it
// registers the node, makes it alive, forgets its recorded connections and
// records the given ones. ARGV: prefix, node, ttl in ms, then user and
// conn pairs. It returns {online, offline}: the users it brought online,
// and those it left without a live connection.
var syncScript = script(`
local node = ARGV[2]
local nk = nkey(node)
local order, seen = {}, {}
local function add(u) if not seen[u] then seen[u] = true; order[#order + 1] = u end end
for _, m in ipairs(redis.call('SMEMBERS', nk)) do add((split(m))) end
for i = 4, #ARGV, 2 do add(ARGV[i]) end
local before = {}
for _, u in ipairs(order) do before[u] = live(u) end
drop(node)
redis.call('SADD', p .. ':nodes', node)
redis.call('SET', p .. ':alive:' .. node, '1', 'PX', ARGV[3])
alive_cache[node] = true
for i = 4, #ARGV, 2 do
  redis.call('HSET', ukey(ARGV[i]), ARGV[i + 1], node)
  redis.call('SADD', nk, ARGV[i] .. ':' .. ARGV[i + 1])
end
local on, off = {}, {}
for _, u in ipairs(order) do
  local now = live(u)
  if now and not before[u] then on[#on + 1] = u
  elseif before[u] and not now then off[#off + 1] = u end
end
return {on, off}
`)

// reapScript reaps every registered node but ARGV[2] whose liveness has
// lapsed: it unregisters the node and forgets its connections. It returns
// one {node, offline users} per reaped node. Unregistering happens in the
// same script as the check, so a dead node is reaped once, by one node.
var reapScript = script(`
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', p .. ':nodes')) do
  if node ~= ARGV[2] and not alive(node) then
    redis.call('SREM', p .. ':nodes', node)
    local off = {}
    for _, u in ipairs(drop(node)) do
      if not live(u) then off[#off + 1] = u end
    end
    out[#out + 1] = {node, off}
  end
end
return out
`)

// leaveScript removes node ARGV[2] from the shared state: its registration,
// its liveness, its connections.
var leaveScript = script(`
local node = ARGV[2]
redis.call('SREM', p .. ':nodes', node)
redis.call('DEL', p .. ':alive:' .. node)
drop(node)
return 1
`)
