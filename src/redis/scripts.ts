/**
 * One Lua script per store decision, so that each is atomic across every process that shares the Redis
 * server, and costs one round trip. ARGV[1] of every script is '0' (tests shift the server's time with
 * another number of ms, or replace it with '=<ms>'); the first element of every reply is the server's time,
 * which the store uses to translate its own clock.
 *
 * KEYS come in groups of five per key: hash, leases, log 1, log 2, index (see keys.ts). Key specs come in
 * ARGV groups of seven: id, level, requests, perMs, concurrent, marginMs, adaptive ('' = absent).
 */
import { LUA_RULES } from './lua-rules.js';
import { Script } from './script-runner.js';

/**
 * MemoryStore.acquire for all keys at once: pauses first, then for each key concurrency, quota budget and
 * every window log; either all keys take the start and a lease, or none does.
 * ARGV: shift, lease id, lease ttl, poll ms, idle ttl, key count, then the key specs.
 * Reply: {now, 1} granted, or {now, 0, index of the refusing key (1-based), reason, retry ms}.
 */
export const ACQUIRE = new Script(
  'acquire',
  `${LUA_RULES}
local now = server_now(ARGV[1])
local lease, lease_ttl, poll, idle_ttl = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local n = tonumber(ARGV[6])
local specs, recs, names, rates, limits = {}, {}, {}, {}, {}

local function refuse(i, reason, retry)
  for j = 1, #recs do commit(recs[j], names[j], specs[j].id, now, idle_ttl, lease_ttl) end
  return { fmt(now), 0, i, reason, fmt(retry) }
end

-- MemoryStore.heldBack first: a refusal for a pause, or for the probe after one while it is out, changes nothing
local function probe_retry(nm)
  local first = redis.call('ZRANGEBYSCORE', nm.f, '(' .. fmt(now), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if first[2] then return math.max(1, math.min(poll, num(first[2]) - now)) end
  return poll
end
for i = 1, n do
  specs[i] = spec_at(6 + (i - 1) * SPEC_ARGS)
  names[i] = names_at((i - 1) * KEYS_PER_KEY)
  recs[i] = load(names[i].h)
  local paused = recs[i].v.pu or 0
  if paused > now then return { fmt(now), 0, i, 'paused', fmt(paused - now) } end
end
for i = 1, n do
  if recs[i].v.pr and live_leases(names[i], now) > 0 then return { fmt(now), 0, i, 'concurrency', fmt(probe_retry(names[i])) } end
end
for i = 1, n do
  configure(recs[i], specs[i], now, idle_ttl)
  if i > 1 and specs[1].level == 'client' and specs[i].level == 'token' then adopt_shared(recs[i].v, recs[1].v, now) end
  rates[i], limits[i] = effective(recs[i].v)
end

for i = 1, n do
  local v, nm = recs[i].v, names[i]
  expire_leases(nm, now)
  local c = concurrency(v, limits[i])
  if c ~= nil and redis.call('ZCARD', nm.f) >= c then
    local first = redis.call('ZRANGE', nm.f, 0, 0, 'WITHSCORES')
    local retry = poll
    if first[2] then retry = math.max(1, math.min(poll, num(first[2]) - now)) end
    return refuse(i, 'concurrency', retry)
  end
  local held = budget_wait(v, now)
  if held > 0 then
    if v.br <= 0 then return refuse(i, 'paused', held) end
    return refuse(i, 'rate', held)
  end
  sync_logs(v, nm, rates[i], specs[i].mg, now)
  -- while the server counts what is left of its quota, that count is the gate (unless a rate is configured)
  if v.bu == nil or v.cr ~= nil then
    for j = 1, v.nl do
      local wait = log_wait(nm.w[j], v['N' .. j], v['W' .. j], now, poll)
      if wait ~= 0 then return refuse(i, 'rate', wait) end
    end
  end
end

for i = 1, n do
  local v, nm = recs[i].v, names[i]
  redis.call('ZADD', nm.f, fmt(now + lease_ttl), lease)
  created(nm, nm.f)
  for j = 1, v.nl do
    redis.call('ZADD', nm.w[j], 'inf', lease)
    created(nm, nm.w[j])
  end
  v.lu = now
  starts_add(v, now)
  count_start(v, now)
  v.ls = now
  if v.bu ~= nil then
    v.br = v.br - 1
    v.bn = now + v.bs
  end
  commit(recs[i], nm, specs[i].id, now, idle_ttl, lease_ttl)
end
return { fmt(now), 1 }
`,
);

/**
 * MemoryStore.release: settles the lease's window entries, frees its slots, and on 'ok' resets the strikes,
 * ends the probe and lets AIMD grow.
 * ARGV: shift, lease id, outcome, start (server ms), idle ttl, lease ttl, key count, written after
 * (ms after the grant, '' = unknown), then the key ids.
 */
export const RELEASE = new Script(
  'release',
  `${LUA_RULES}
local now = server_now(ARGV[1])
local lease, outcome, start = ARGV[2], ARGV[3], tonumber(ARGV[4])
local idle_ttl, lease_ttl, n = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local wrote = num(ARGV[8])

for i = 1, n do
  local id = ARGV[8 + i]
  local nm = names_at((i - 1) * KEYS_PER_KEY)
  local rec = load(nm.h)
  if not rec.exists then
    redis.call('ZREM', nm.f, lease)
  else
    local v = rec.v
    local logs = v.nl or 0
    for j = 1, 2 do
      if redis.call('ZSCORE', nm.w[j], lease) then
        -- MemoryStore's settle: only answers the server processed ('ok') measure the link
        local stamp = math.max(start, now)
        if outcome == 'unused' then stamp = start
        elseif outcome == 'ok' and j <= logs then stamp = settle(v, j, v['N' .. j], start, now, wrote) end
        redis.call('ZADD', nm.w[j], 'XX', fmt(stamp), lease)
      end
    end
    if outcome == 'ok' then
      -- only an answer to a request sent after the pause began ends the probe and resets the backoff
      if start > (v.pa or -INF) then
        v.st = 0
        v.pr = nil
      end
      -- MemoryStore.grow, with this request still counted in flight
      local inflight = live_leases(nm, now)
      if v.aw ~= nil and v.lc == nil then aimd_success(v, inflight, now - start, starts_count(v, now), now) end
      if v.rr ~= nil and step_up(v, now) then estimate_limits(v) end
    elseif outcome == 'unused' then
      -- MemoryStore.release: a request that never went out was not accepted
      starts_remove(v, start, now)
      if v.rr ~= nil then uncount_start(v, start) end
    end
    redis.call('ZREM', nm.f, lease)
    v.lu = now
    commit(rec, nm, id, now, idle_ttl, lease_ttl)
  end
end
return { fmt(now) }
`,
);

/**
 * MemoryStore.throttle: counts the 429, adopts a named limit (or lets AIMD shrink), pauses for the server's
 * delay or the backoff plus jitter (never shortening a pause), and makes the next request a probe.
 * KEYS: one group, and the app key's group when ARGV's last is its id. ARGV: shift, the key spec, sent at
 * (server ms), delay ('' = none), named given ('1'), named requests, named concurrent, kind, backoff base,
 * backoff max, jitter ratio, jitter max, random, idle ttl, lease ttl, app id of a token's shared limit ('').
 * Reply: {now, strikes, stale (0/1), paused ms, learned changed (0/1), learned requests, perMs, concurrent}.
 */
export const THROTTLE = new Script(
  'throttle',
  `${LUA_RULES}
local now = server_now(ARGV[1])
local spec = spec_at(1)
local a = 1 + SPEC_ARGS
local sent_at, delay = num(ARGV[a + 1]), num(ARGV[a + 2])
local has_named, named_requests, named_concurrent = ARGV[a + 3] == '1', num(ARGV[a + 4]), num(ARGV[a + 5])
local kind = ARGV[a + 6]
local base, max, ratio, jmax, random = tonumber(ARGV[a + 7]), tonumber(ARGV[a + 8]), tonumber(ARGV[a + 9]), tonumber(ARGV[a + 10]), tonumber(ARGV[a + 11])
local idle_ttl, lease_ttl = tonumber(ARGV[a + 12]), tonumber(ARGV[a + 13])
local tokens_of = ARGV[a + 14]

local nm = names_at(0)
local rec = load(nm.h)
configure(rec, spec, now, idle_ttl)
local v = rec.v
v.th = (v.th or 0) + 1
local stale = sent_at <= (v.pa or -INF)
if not stale then v.st = (v.st or 0) + 1 end
local strikes = math.max(1, v.st or 0)

if delay == nil then delay = backoff(strikes, base, max) end
local pause_until = now + add_jitter(delay, ratio, jmax, random)
if pause_until > (v.pu or 0) then v.pu = pause_until end

local changed = false
if not stale then
  if has_named then
    -- MemoryStore.adoptNamed (a request sent before the key took another token's named limit: as named)
    local rates, c = effective(v)
    if sent_at < (v.sa or -INF) then rates, c = {}, nil end
    if named_requests ~= nil then
      local current = nil
      if v.rr == nil and rates[1] then current = rates[1].n end
      v.lr = next_learned(current, named_requests)
      if v.rr ~= nil then v.lp = nil end
      forget_estimate(v)
    end
    if named_concurrent ~= nil then
      v.lc = next_learned(c, named_concurrent)
      v.aw = nil; v.at = nil; v.ab = nil; v.ar = nil
      v.nc = 1
    end
    changed = true
    -- the app key keeps a token's named limit for all of its tokens (KEYS group 2)
    if tokens_of ~= '' and spec.level == 'token' then
      local app_names = names_at(KEYS_PER_KEY)
      local app = load(app_names.h)
      if app.exists then
        if named_requests ~= nil then app.v.ur = named_requests end
        if named_concurrent ~= nil then app.v.uc = named_concurrent end
        commit(app, app_names, tokens_of, now, idle_ttl, lease_ttl)
      end
    end
  elseif v.aw ~= nil or v.rr ~= nil then
    -- MemoryStore.shrinkAdaptive
    local inflight = live_leases(nm, now)
    if kind ~= 'rate' and v.aw ~= nil and v.lc == nil then aimd_throttle(v, inflight) end
    if kind ~= 'concurrency' and v.cr == nil and (v.lr == nil or v.rr ~= nil) then
      local accepted = math.max(0, starts_count(v, now) - inflight)
      if v.rr ~= nil then estimate_after_throttle(v, accepted, inflight, now, v.pu)
      elseif accepted > 0 then first_estimate(v, accepted, v.pu) end
      if v.rr ~= nil then estimate_limits(v) end
    end
    changed = true
  end
end
if not stale then v.pa = now end
v.pr = 1
commit(rec, nm, spec.id, now, idle_ttl, lease_ttl)
local flag = 0
if stale then flag = 1 end
local learned = 0
if changed then learned = 1 end
return { fmt(now), strikes, flag, fmt(v.pu - now), learned, fmt(v.lr or -1), fmt(v.lp or -1), fmt(v.lc or -1) }
`,
);

/**
 * MemoryStore.observe: an advertised policy becomes the learned rate; remaining/reset become a budget.
 * KEYS: one group. ARGV: shift, the key spec, policy requests, policy perMs, limit, remaining, reset ms,
 * idle ttl, lease ttl ('' = absent), counted ('0': the observed request holds no lease on the key), other
 * quota ('1': remaining/reset are a spent quota other than the requests').
 * Reply: {now, learned changed (0/1), learned requests, perMs, concurrent, held ms, spacing ms} (-1 = absent).
 */
export const OBSERVE = new Script(
  'observe',
  `${LUA_RULES}
local now = server_now(ARGV[1])
local spec = spec_at(1)
local a = 1 + SPEC_ARGS
local policy_requests, policy_per = num(ARGV[a + 1]), num(ARGV[a + 2])
local limit, remaining, reset = num(ARGV[a + 3]), num(ARGV[a + 4]), num(ARGV[a + 5])
local idle_ttl, lease_ttl = tonumber(ARGV[a + 6]), tonumber(ARGV[a + 7])
local own_lease = 1
if ARGV[a + 8] == '0' then own_lease = 0 end
local other_quota = ARGV[a + 9] == '1'

local nm = names_at(0)
local rec = load(nm.h)
configure(rec, spec, now, idle_ttl)
local v = rec.v
local changed = 0
if policy_requests ~= nil and (policy_requests ~= v.lr or policy_per ~= v.lp) then
  forget_estimate(v)
  v.lr = policy_requests
  v.lp = policy_per
  changed = 1
end
local held, spacing = -1, -1
if remaining ~= nil and reset ~= nil then
  -- Requests sent after this one may not be in the server's count yet: take them off what is left.
  local sent_since = math.max(0, live_leases(nm, now) - own_lease)
  local left = math.max(0, remaining - sent_since)
  local quota = policy_requests or limit
  local low = 5
  if quota ~= nil then low = math.max(1, math.ceil(quota * 0.1)) end
  local every = 0
  if left > 0 and left <= low then every = reset / left end
  if not other_quota and quota ~= nil and remaining == quota - 1 then v.wo = now + reset end
  -- spent: held until the reset, or until the window that our first request opened ends, if sooner
  local hold = reset
  if left == 0 and not other_quota and v.wo ~= nil and v.wo > now and v.wo - now < reset then hold = v.wo - now end
  v.br = left; v.bs = every; v.bn = now
  if left == 0 then v.bu = now + hold else v.bu = now + reset end
  if left == 0 then held = hold elseif every > 0 then spacing = every end
end
commit(rec, nm, spec.id, now, idle_ttl, lease_ttl)
return { fmt(now), changed, fmt(v.lr or -1), fmt(v.lp or -1), fmt(v.lc or -1), fmt(held), fmt(spacing) }
`,
);

/**
 * MemoryStore.resume for the listed keys: ends pauses, probes and quota budgets.
 * KEYS: one group per id. ARGV: shift, then the ids. Reply: {now, keys that were held}.
 */
export const RESUME = new Script(
  'resume',
  `${LUA_RULES}
local now = server_now(ARGV[1])
local resumed = 0
for i = 1, #ARGV - 1 do
  local rec = load(names_at((i - 1) * KEYS_PER_KEY).h)
  if rec.exists then
    local v = rec.v
    if (v.pu or 0) > now or v.bu ~= nil then resumed = resumed + 1 end
    v.pu = nil; v.pr = nil
    v.br = nil; v.bu = nil; v.bs = nil; v.bn = nil
    save(rec)
  end
end
return { fmt(now), resumed }
`,
);

/**
 * MemoryStore.snapshot for the listed keys. Keys whose hash expired are dropped from their index.
 * KEYS: one group per id. ARGV: shift, then the ids.
 * Reply: {now, then per key: id, level, in flight, paused ms, used in window, 429s, strikes,
 * configured requests, perMs, concurrent, learned requests, perMs, concurrent, AIMD window} ('' = absent).
 */
export const SNAPSHOT = new Script(
  'snapshot',
  `${LUA_RULES}
local now = server_now(ARGV[1])
local out = { fmt(now) }
local function opt(x)
  if x == nil then return '' end
  return fmt(x)
end
for i = 1, #ARGV - 1 do
  local id = ARGV[1 + i]
  local nm = names_at((i - 1) * KEYS_PER_KEY)
  local rec = load(nm.h)
  if not rec.exists then
    redis.call('ZREM', nm.idx, id)
  else
    local v = rec.v
    local used = 0
    if (v.nl or 0) > 0 then used = redis.call('ZCOUNT', nm.w[1], '(' .. fmt(now - v.W1), '+inf') end
    local row = {
      id, v.lv or 'client', live_leases(nm, now), fmt(math.max(0, (v.pu or 0) - now)), used, v.th or 0, v.st or 0,
      opt(v.cr), opt(v.cp), opt(v.cc), opt(v.lr), opt(v.lp), opt(v.lc), opt(v.aw),
    }
    for _, x in ipairs(row) do out[#out + 1] = x end
  end
end
return out
`,
);
export const SNAPSHOT_FIELDS = 14;

/**
 * Renews leases held by one process, in one round trip for all of them, and keeps their keys alive while
 * they are in flight. A lease that already expired (its holder stalled) is not brought back.
 * KEYS: one group per (lease, key). ARGV: shift, lease ttl, then per group: lease id, key id.
 */
export const RENEW = new Script(
  'renew',
  `${LUA_RULES}
local now = server_now(ARGV[1])
local lease_ttl = tonumber(ARGV[2])
local keep = math.ceil(2 * lease_ttl)
local renewed = 0
for g = 0, #KEYS / KEYS_PER_KEY - 1 do
  local nm = names_at(g * KEYS_PER_KEY)
  local lease, id = ARGV[3 + 2 * g], ARGV[4 + 2 * g]
  if redis.call('ZSCORE', nm.f, lease) then
    redis.call('ZADD', nm.f, 'XX', fmt(now + lease_ttl), lease)
    renewed = renewed + 1
    for _, key in ipairs({ nm.h, nm.f, nm.w[1], nm.w[2] }) do
      local left = redis.call('PTTL', key)
      if left >= 0 and left < keep then redis.call('PEXPIRE', key, keep) end
    end
    local listed = num(redis.call('ZSCORE', nm.idx, id))
    if listed == nil or listed < now + keep then redis.call('ZADD', nm.idx, fmt(now + keep), id) end
    local left = redis.call('PTTL', nm.idx)
    if left >= 0 and left < keep then redis.call('PEXPIRE', nm.idx, keep) end
  end
end
return { fmt(now), renewed }
`,
);

/**
 * Hands Redis what the fallback store let start while Redis was away, so that its windows count them: each
 * start enters both window logs of its key, stamped when it arrived at the latest (a member per start, so a
 * replay that is repeated adds nothing).
 * KEYS: one group. ARGV: shift, ttl (ms), then member and stamp (server ms) pairs.
 * Reply: {now}.
 */
export const REPLAY = new Script(
  'replay',
  `${LUA_RULES}
local now = server_now(ARGV[1])
local ttl = tonumber(ARGV[2])
local nm = names_at(0)
for j = 1, 2 do
  for i = 3, #ARGV, 2 do redis.call('ZADD', nm.w[j], ARGV[i + 1], ARGV[i]) end
  if redis.call('PTTL', nm.w[j]) < ttl then redis.call('PEXPIRE', nm.w[j], ttl) end
end
return { fmt(now) }
`,
);
