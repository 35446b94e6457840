import { AIMD_HEADROOM, INITIAL_AIMD, ROUND_TRIP_GAIN, START_BUCKETS } from '../adaptive.js';
import { DEFAULT_WINDOW_MS } from '../limits.js';
import {
  ESTIMATE_WINDOW_MS,
  FULL_USE,
  FIRST_PROBE_PERIOD_MS,
  MAX_SETTLED_PERIOD_MS,
  PACED_BURST_MS,
  PROBE_FACTOR,
  PROBE_PERIOD_MS,
  PROBE_STEP,
  SETTLED_PERIOD_MS,
  SETTLED_STEP,
  STEP_BACK,
} from '../rate-learner.js';

/** A constant of the TypeScript rules as a Lua literal, so both read the same value. */
function lua(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return 'math.huge';
  if (value === Number.NEGATIVE_INFINITY) return '-math.huge';
  return String(value);
}

/**
 * The MemoryStore's rules in Lua, shared by every script (prepended to each). Each function names the
 * TypeScript it mirrors; keep the two in step (__tests__/redis/redis-store.differential.test.ts runs both
 * stores side by side on random runs and compares every answer).
 *
 * A key's hash is loaded into a table `v` of numbers (the level `lv` stays a string) and written back with
 * only what changed. Fields:
 *   lv level · lu last used · ls last start · cr/cp/cc configured requests/perMs/concurrent (the strictest
 *   of the sources g:<signature>, each = when a guard last configured the key so)
 *   pu paused until · pa pause began · pr probing (1 or absent) · st strikes · th 429s seen
 *   lr/lp/lc learned requests/perMs/concurrent
 *   rr/fl/pg/wn/hr/pd/lt/la/pt/pn the rate learner's estimate: rate, flash, probing (1 or absent), window (1
 *   or absent), held rate, settled period, level at, level starts, probe at, probe starts
 *   (rr absent: the learned rate, if any, is the server's word)
 *   nc the server named the concurrency, AIMD stays off for it (1 or absent)
 *   aw/at/ab/ar AIMD window/threshold/since/smoothed round trip · c0..c9/sl start counter buckets, latest bucket number
 *   nl number of window logs in use · f1/n1, f2/n2 fastest latency and settled count of log 1 and 2
 *   x1/X1/k1, x2/X2/k2 slowest round trip of the current and the previous bucket of answers, answers in the bucket
 *   N1/W1, N2/W2 limit and window (margin included) of log 1 and 2 as last checked
 *   br/bu/bs/bn quota budget remaining/until/spacing/next start (from observe) · tx keys expire at
 *   wo the server's quota window ends by (the reset given with its first request)
 *   ur/uc on an app key: requests/concurrent named for one of its tokens, which hold for all of them
 *   sa when a token key last took them
 *
 * Times are ms on the Redis server's clock (TIME), plus a shift that only tests set. In a window log an
 * entry in flight is scored inf: the store is not told when a request of another process was written, so
 * it holds its place until answered (SlidingWindowLog.arrivalBound without a write).
 */
export const LUA_RULES = `
local INF = math.huge
local DEFAULT_WINDOW_MS = ${lua(DEFAULT_WINDOW_MS)}
local AIMD_WINDOW, AIMD_THRESHOLD, AIMD_MAX = ${lua(INITIAL_AIMD.window)}, ${lua(INITIAL_AIMD.threshold)}, 1000

local function num(s)
  if s == nil or s == false or s == '' then return nil end
  if s == 'inf' or s == '+inf' then return INF end
  if s == '-inf' then return -INF end
  return tonumber(s)
end

-- Exact round trip of a double; Lua's own tostring keeps only 14 digits, too few for epoch ms.
local function fmt(x)
  if x == INF then return 'inf' end
  if x == -INF then return '-inf' end
  return string.format('%.17g', x)
end

-- The server's time in ms, shifted by ARGV[1]; '=<ms>' instead replaces it (tests on a fake clock).
local function server_now(shift)
  if string.sub(shift, 1, 1) == '=' then return tonumber(string.sub(shift, 2)) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000 + tonumber(shift)
end

local function load(key)
  local flat = redis.call('HGETALL', key)
  local rec = { key = key, orig = {}, v = {}, exists = #flat > 0 }
  for i = 1, #flat, 2 do
    local f, s = flat[i], flat[i + 1]
    if f == 'lv' then rec.orig[f] = s else rec.orig[f] = num(s) end
    rec.v[f] = rec.orig[f]
  end
  return rec
end

-- Writes back only what changed (formatting every number would cost more than the rest of a script).
local function save(rec)
  local set, del = {}, {}
  for f, x in pairs(rec.v) do
    if rec.orig[f] ~= x then
      set[#set + 1] = f
      if type(x) == 'string' then set[#set + 1] = x else set[#set + 1] = fmt(x) end
    end
  end
  for f in pairs(rec.orig) do
    if rec.v[f] == nil then del[#del + 1] = f end
  end
  if #set > 0 then redis.call('HSET', rec.key, unpack(set)) end
  if #del > 0 then redis.call('HDEL', rec.key, unpack(del)) end
end

-- A key spec from ARGV, starting after index a: id, level, requests, perMs, concurrent, marginMs, adaptive.
local function spec_at(a)
  return {
    id = ARGV[a + 1], level = ARGV[a + 2], cr = num(ARGV[a + 3]), cp = num(ARGV[a + 4]),
    cc = num(ARGV[a + 5]), mg = num(ARGV[a + 6]), adaptive = ARGV[a + 7] == '1',
    sig = ARGV[a + 3] .. '/' .. ARGV[a + 4] .. '/' .. ARGV[a + 5], -- limits.ts limitsSignature
  }
end

-- MemoryStore.logs windowOf and marginOf: the window plus the key's margin, else none for a rate the
-- learner settled on as a bucket's (rr, neither wn nor pg), else defaultMargin: 0.5% of it, at most 25 ms.
local function window_of(v, per_ms, margin)
  if margin ~= nil then return per_ms + margin end
  if v.rr ~= nil and not v.wn and not v.pg then return per_ms end
  return per_ms + math.min(25, math.ceil(per_ms * 0.005))
end
local SPEC_ARGS = 7

-- The key's names from KEYS, starting after index k: hash, leases, log 1, log 2, index.
local function names_at(k)
  return { h = KEYS[k + 1], f = KEYS[k + 2], w = { KEYS[k + 3], KEYS[k + 4] }, idx = KEYS[k + 5] }
end
local KEYS_PER_KEY = 5

-- limits.ts strictestRate: the rate that implies the other, else the faster of two that imply both
local function rate_implies(an, aw, bn, bw)
  if aw >= bw then return an <= bn end
  return an * math.ceil(bw / aw) <= bn
end
local function strictest_rate(an, aw, bn, bw)
  if rate_implies(an, aw, bn, bw) then return an, aw end
  if rate_implies(bn, bw, an, aw) then return bn, bw end
  local sn, sw, ln, lw = bn, bw, an, aw
  if aw < bw then sn, sw, ln, lw = an, aw, bn, bw end
  local cut = math.min(sn, math.floor(ln / math.ceil(lw / sw)))
  if cut >= 1 and cut / sw >= sn / lw then return cut, sw end
  return sn, lw
end

-- limits.ts strictestLimits over the sources' signatures: rates folded shortest window first, then fewest
local function strictest_limits(sigs)
  local rates, c = {}, nil
  for _, s in ipairs(sigs) do
    local r, p, cc = string.match(s, '^([^/]*)/([^/]*)/([^/]*)$')
    r, p, cc = num(r), num(p), num(cc)
    if r ~= nil then rates[#rates + 1] = { n = r, w = p or DEFAULT_WINDOW_MS } end
    if cc ~= nil and (c == nil or cc < c) then c = cc end
  end
  table.sort(rates, function(a, b) return a.w < b.w or (a.w == b.w and a.n < b.n) end)
  local rn, rw
  for _, rate in ipairs(rates) do
    if rn == nil then rn, rw = rate.n, rate.w else rn, rw = strictest_rate(rn, rw, rate.n, rate.w) end
  end
  return rn, rw, c
end

-- MemoryStore.record + KeyRecord.configure: each configured spec is a source (field g:<signature> = when a
-- guard last used it, refreshed at most every tenth of hold); the key keeps the strictest of the sources
-- used in the last hold ms.
local function configure(rec, spec, now, hold)
  local v = rec.v
  if not rec.exists then
    v.lv = spec.level; v.lu = now
  end
  if spec.adaptive and v.aw == nil and not v.nc then v.aw = AIMD_WINDOW; v.at = AIMD_THRESHOLD; v.ab = now; v.ar = 0 end
  local seen = v['g:' .. spec.sig]
  if seen ~= nil and now - seen < hold / 10 then return end
  v['g:' .. spec.sig] = now
  local sigs = {}
  for f, x in pairs(v) do
    if string.sub(f, 1, 2) == 'g:' then
      if now - x >= hold then v[f] = nil else sigs[#sigs + 1] = string.sub(f, 3) end
    end
  end
  v.cr, v.cp, v.cc = strictest_limits(sigs)
end

-- limits.ts effectiveLimits: the rates in force (one, or two when the windows differ) and the concurrency.
local function effective(v)
  local rates = {}
  local cw = v.cp or DEFAULT_WINDOW_MS
  local lw = v.lp or cw
  if v.cr ~= nil and v.lr ~= nil and lw == cw then
    rates[1] = { n = math.min(v.cr, math.floor(v.lr)), w = cw }
  else
    if v.cr ~= nil then rates[#rates + 1] = { n = v.cr, w = cw } end
    if v.lr ~= nil then rates[#rates + 1] = { n = math.max(1, math.floor(v.lr)), w = lw } end
  end
  local c = v.cc
  if v.lc ~= nil then
    if c == nil or v.lc < c then c = v.lc end
  end
  if c ~= nil then c = math.max(1, math.floor(c)) end
  return rates, c
end

-- KeyRecord.concurrency
local function concurrency(v, c)
  if v.pr then return 1 end
  if c ~= nil then return c end
  if v.aw ~= nil then return math.floor(v.aw) end
  return nil
end

-- limits.ts nextLearnedLimit
local function next_learned(current, named)
  if current == nil or named < current then return named end
  return math.max(1, current - 1)
end

-- backoff.ts exponentialBackoff and addJitter (the random number comes from the guard's clock)
local function backoff(strike, base, max)
  local e = math.max(0, math.min(strike - 1, 52))
  return math.min(max, base * 2 ^ e)
end
local function add_jitter(delay, ratio, jmax, random)
  local spread = math.min(delay * ratio, jmax)
  if spread > 0 then return delay + random * spread end
  return delay
end

-- adaptive.ts StartCounter (window DEFAULT_WINDOW_MS; bucket counts in c0..c9, sl the latest bucket number)
local START_BUCKETS = ${lua(START_BUCKETS)}
local START_BUCKET_MS = DEFAULT_WINDOW_MS / START_BUCKETS
local function starts_roll(v, now)
  local slot = math.max(0, math.floor(now / START_BUCKET_MS))
  local last = v.sl or 0
  if slot <= last then v.sl = last; return end
  for i = 1, math.min(START_BUCKETS, slot - last) do v['c' .. ((last + i) % START_BUCKETS)] = 0 end
  v.sl = slot
end
local function starts_add(v, now)
  starts_roll(v, now)
  local f = 'c' .. (v.sl % START_BUCKETS)
  v[f] = (v[f] or 0) + 1
end
-- StartCounter.remove
local function starts_remove(v, at, now)
  starts_roll(v, now)
  local slot = math.max(0, math.floor(at / START_BUCKET_MS))
  local f = 'c' .. (slot % START_BUCKETS)
  if slot > v.sl - START_BUCKETS and slot <= v.sl and (v[f] or 0) > 0 then v[f] = v[f] - 1 end
end
local function starts_count(v, now)
  starts_roll(v, now)
  local total = 0
  for i = 0, START_BUCKETS - 1 do total = total + (v['c' .. i] or 0) end
  return total
end

-- adaptive.ts aimdOnSuccess / aimdOnThrottle (state in aw, at, ab since, ar smoothed round trip)
local AIMD_HEADROOM, ROUND_TRIP_GAIN = ${lua(AIMD_HEADROOM)}, ${lua(ROUND_TRIP_GAIN)}
local function aimd_success(v, inflight, round_trip, starts, now)
  -- a key written by a version without these fields starts them now
  if v.ab == nil then v.ab = now end
  if v.ar == nil or v.ar == 0 then v.ar = round_trip else v.ar = v.ar + (round_trip - v.ar) * ROUND_TRIP_GAIN end
  if inflight < math.floor(v.aw) then return end
  if v.aw >= v.at then
    local span = math.min(1000, math.max(now - v.ab, v.ar, 1))
    if v.aw >= (AIMD_HEADROOM * starts * v.ar) / span then return end
  end
  local step = 1
  if v.aw >= v.at then step = 1 / v.aw end
  v.aw = math.min(AIMD_MAX, v.aw + step)
end
local function aimd_throttle(v, inflight)
  v.at = math.max(1, math.floor(math.min(v.aw, inflight) / 2))
  v.aw = v.at
end

-- rate-learner.ts, rule by rule (the estimate lives in fields rr, fl, pg, wn, hr, pd, lt, la, pt, pn)
local PROBE_FACTOR, PROBE_STEP, PROBE_PERIOD_MS = ${lua(PROBE_FACTOR)}, ${lua(PROBE_STEP)}, ${lua(PROBE_PERIOD_MS)}
local SETTLED_PERIOD_MS, SETTLED_STEP, MAX_SETTLED_PERIOD_MS = ${lua(SETTLED_PERIOD_MS)}, ${lua(SETTLED_STEP)}, ${lua(MAX_SETTLED_PERIOD_MS)}
local STEP_BACK, FULL_USE, PACED_BURST_MS = ${lua(STEP_BACK)}, ${lua(FULL_USE)}, ${lua(PACED_BURST_MS)}
local ESTIMATE_WINDOW_MS, FIRST_PROBE_PERIOD_MS = ${lua(ESTIMATE_WINDOW_MS)}, ${lua(FIRST_PROBE_PERIOD_MS)}

local function first_estimate(v, accepted, resume_at)
  v.fl = math.max(1, accepted)
  v.rr = v.fl * PROBE_FACTOR
  v.pg = 1; v.wn = nil; v.hr = 0; v.pd = SETTLED_PERIOD_MS
  v.lt = resume_at; v.la = 0
  v.pt = resume_at; v.pn = 0
end

local function count_start(v, now)
  if v.rr ~= nil and now >= v.lt then v.la = v.la + 1 end
  if v.pg and now >= v.pt then v.pn = v.pn + 1 end
end

local function uncount_start(v, at)
  if at >= v.lt and v.la > 0 then v.la = v.la - 1 end
  if v.pg and at >= v.pt and v.pn > 0 then v.pn = v.pn - 1 end
end

local function estimate_after_throttle(v, accepted_last_second, inflight, now, resume_at)
  if v.pg then
    local probe_seconds = math.max(ESTIMATE_WINDOW_MS, now - v.pt) / 1000
    local since_probe = (v.pn - inflight - v.fl) / probe_seconds
    local bucket_rate = math.min(v.rr, math.max(accepted_last_second - v.fl, since_probe))
    if bucket_rate <= v.fl / 2 then
      v.wn = 1
      v.rr = math.max(v.fl, accepted_last_second)
    else
      v.rr = math.max(v.fl, bucket_rate)
    end
    v.pg = nil
  elseif v.rr > v.hr and v.hr > 0 then
    v.rr = v.hr
    v.pd = math.min(MAX_SETTLED_PERIOD_MS, v.pd * 2)
  else
    v.rr = math.max(1, math.min(v.rr, accepted_last_second) * STEP_BACK)
  end
  v.hr = v.rr
  v.lt = resume_at; v.la = 0
end

local function level_period(v)
  if not v.pg then return v.pd end
  if v.rr == v.fl * PROBE_FACTOR then return FIRST_PROBE_PERIOD_MS end
  return PROBE_PERIOD_MS
end

local function step_up(v, now)
  local elapsed = now - v.lt
  if elapsed < level_period(v) then return false end
  if v.la < (FULL_USE * v.rr * elapsed) / 1000 then
    v.lt = now; v.la = 0
    return false
  end
  if v.pg then v.rr = v.rr * PROBE_STEP
  else
    v.hr = v.rr
    v.rr = v.rr * SETTLED_STEP
  end
  v.lt = now; v.la = 0
  return true
end

-- estimateLimits (and bucketLimits, pacedLimits): into the learned requests and window
local function estimate_limits(v)
  if v.wn then
    v.lr = math.max(1, math.floor(v.rr))
    v.lp = ESTIMATE_WINDOW_MS
    return
  end
  if not v.pg then
    local burst = math.max(1, math.min(v.fl - 2, math.ceil(v.rr)))
    v.lr = burst
    v.lp = (1000 * burst) / v.rr
    return
  end
  local k = math.max(1, math.ceil((v.rr * PACED_BURST_MS) / 1000))
  v.lr = k
  v.lp = (1000 * k) / (v.rr - k + 1)
end

local function forget_estimate(v)
  v.rr = nil; v.fl = nil; v.pg = nil; v.wn = nil; v.hr = nil; v.pd = nil; v.lt = nil; v.la = nil
  v.pt = nil; v.pn = nil
end

-- MemoryStore.adoptShared: limits named for another token of the app (app fields ur, uc) hold for this one,
-- unless it was told its own
local function adopt_shared(v, app, now)
  local took = false
  if app.ur ~= nil and (v.lr == nil or v.rr ~= nil) then
    v.lr = app.ur; v.lp = nil
    forget_estimate(v)
    took = true
  end
  if app.uc ~= nil and v.lc == nil then
    v.lc = app.uc
    v.aw = nil; v.at = nil; v.ab = nil; v.ar = nil
    v.nc = 1
    took = true
  end
  if took then v.sa = now end
end

-- Marks a key this call wrote to, which may not have existed (and so has no TTL yet).
local function created(names, key)
  names.created = names.created or {}
  names.created[#names.created + 1] = key
end

-- Leases that were not renewed in time: their holder died. Free the slot; an entry still in flight in a
-- window log stays there, stamped at the lease's expiry (it may have reached the server as late as that).
local function expire_leases(names, now)
  local gone = redis.call('ZRANGEBYSCORE', names.f, '-inf', fmt(now), 'WITHSCORES')
  for i = 1, #gone, 2 do
    redis.call('ZREM', names.f, gone[i])
    for j = 1, 2 do
      if redis.call('ZSCORE', names.w[j], gone[i]) == 'inf' then
        redis.call('ZADD', names.w[j], gone[i + 1], gone[i])
      end
    end
  end
end

local function live_leases(names, now)
  return redis.call('ZCOUNT', names.f, '(' .. fmt(now), '+inf')
end

-- MemoryStore.logs: one log per rate in force; logs beyond the rates are dropped with their history. Each
-- log keeps the limit and window (margin included) it was last checked with, as SlidingWindowLog does:
-- settle and snapshots use those, not limits learned since. A log created mid-run is seeded with the
-- starts of the last second, as if all had started with the latest start (SlidingWindowLog.seed).
local function sync_logs(v, names, rates, margin, now)
  local had = v.nl or 0
  if #rates ~= had then
    for j = #rates + 1, had do
      redis.call('DEL', names.w[j])
      v['f' .. j] = nil; v['n' .. j] = nil; v['N' .. j] = nil; v['W' .. j] = nil
      v['x' .. j] = nil; v['X' .. j] = nil; v['k' .. j] = nil
    end
    for j = had + 1, #rates do
      local w = window_of(v, rates[j].w, margin)
      if (v.ls or -INF) > now - w then
        local seeded = math.min(starts_count(v, now), rates[j].n)
        for k = 1, seeded do redis.call('ZADD', names.w[j], fmt(v.ls), 'seed.' .. fmt(now) .. '.' .. k) end
        if seeded > 0 then created(names, names.w[j]) end
      end
    end
  end
  for j, rate in ipairs(rates) do
    v['N' .. j] = rate.n
    v['W' .. j] = window_of(v, rate.w, margin)
  end
  v.nl = #rates
end

-- SlidingWindowLog.waitMs: admit while fewer than n entries are inside the window. An entry in flight has
-- no arrival bound yet: look again after poll ms (its holder may be another process, whose
-- release nobody here hears of). Entries are forgotten only when they are neither among the newest n (as
-- the ring of the memory store keeps them, for a window that grows) nor inside the window (kept even after
-- n shrank, so that a limit that shrinks and grows again cannot let more than n into one window).
local function log_wait(key, n, w, now, poll)
  local cutoff = now - w
  local count = redis.call('ZCARD', key)
  if count > n then
    local old = redis.call('ZRANGE', key, 0, count - math.max(n, 0) - 1, 'WITHSCORES')
    local drop = 0
    for i = 2, #old, 2 do
      if num(old[i]) <= cutoff then drop = drop + 1 else break end
    end
    if drop > 0 then
      redis.call('ZREMRANGEBYRANK', key, 0, drop - 1)
      count = count - drop
    end
  end
  if redis.call('ZCOUNT', key, '(' .. fmt(cutoff), '+inf') < n then return 0 end
  if n < 1 then return poll end
  local entry = redis.call('ZRANGE', key, count - n, count - n, 'WITHSCORES')
  local stamp = num(entry[2])
  if stamp == INF then return poll end
  local wait = stamp + w - now
  if wait > 0 then return wait end
  return 0
end

-- SlidingWindowLog.settle (with noteLatency and floor): without the write (wrote = ms after the grant),
-- the answer itself; with it, the round trip from the write, and the stamp is the answer less the floor, the
-- fastest round trip less the spread (the slowest of the last n to 2n round trips less the fastest), none
-- for the first n.
local function settle(v, j, n, start, now, wrote)
  if wrote == nil then return math.max(start, now) end
  local fk, nk, xk, Xk, kk = 'f' .. j, 'n' .. j, 'x' .. j, 'X' .. j, 'k' .. j
  local since = math.max(0, now - start)
  local latency = since - math.min(math.max(0, wrote), since)
  if latency < (v[fk] or INF) then v[fk] = latency end
  if latency > (v[xk] or 0) then v[xk] = latency end
  v[kk] = (v[kk] or 0) + 1
  if v[kk] >= math.max(1, n) then
    v[Xk] = v[xk] or 0; v[xk] = 0; v[kk] = 0
  end
  local count = v[nk] or 0
  local floor = 0
  if count >= n then
    local spread = math.max(0, math.max(v[xk] or 0, v[Xk] or 0) - v[fk])
    floor = math.max(0, v[fk] - spread)
  end
  v[nk] = count + 1
  return math.max(start, now - floor)
end

-- MemoryStore.budgetWait
local function budget_wait(v, now)
  if v.bu == nil then return 0 end
  if now >= v.bu then
    v.br = nil; v.bu = nil; v.bs = nil; v.bn = nil
    return 0
  end
  if v.br <= 0 then return v.bu - now end
  if v.bn > now then return v.bn - now end
  return 0
end

-- Writes the record back and keeps its keys alive at least as long as their state matters (pause, budget,
-- two windows, two lease TTLs), and about idle_ttl after the last use. The TTLs are refreshed only when the
-- last refresh (tx) is more than a tenth of idle_ttl old, except on keys this call may have created.
local function commit(rec, names, id, now, idle_ttl, lease_ttl)
  local v = rec.v
  local hard = math.max(2 * lease_ttl, (v.pu or 0) - now, (v.bu or 0) - now)
  for j = 1, (v.nl or 0) do hard = math.max(hard, 2 * v['W' .. j]) end
  local ttl = math.ceil(math.max(idle_ttl, hard))
  if rec.exists and (v.tx or 0) >= now + math.max(hard, 0.9 * idle_ttl) then
    save(rec)
    for _, key in ipairs(names.created or {}) do redis.call('PEXPIRE', key, ttl) end
    return
  end
  v.tx = now + ttl
  save(rec)
  redis.call('PEXPIRE', names.h, ttl)
  redis.call('PEXPIRE', names.f, ttl)
  redis.call('PEXPIRE', names.w[1], ttl)
  redis.call('PEXPIRE', names.w[2], ttl)
  redis.call('ZREMRANGEBYSCORE', names.idx, '-inf', fmt(now)) -- ids of keys expired since
  redis.call('ZADD', names.idx, fmt(now + ttl), id)
  if redis.call('PTTL', names.idx) < ttl then redis.call('PEXPIRE', names.idx, ttl) end
end

`;
