/**
 * The rate learner's rules, rule by rule: rate-learner.ts and its Lua mirror in lua-rules.ts run the same
 * random sequences (first throttle, starts, throttles, successes at any time) and must hold the same
 * estimate after every step. The store-level differential reaches these rules too, but rarely with large
 * flashes; this one drives them directly.
 */
import fc from 'fast-check';
import { countStart, estimateAfterThrottle, estimateLimits, firstEstimate, stepUp, uncountStart, type RateEstimate } from '../../src/rate-learner';
import { LUA_RULES } from '../../src/redis/lua-rules';
import { connect, type TestClient } from './helpers/clients';
import { RedisServer } from './helpers/redis-server';

let server: RedisServer;
let redis: TestClient;
beforeAll(async () => {
  server = await RedisServer.start();
  redis = await connect('ioredis', server.port);
});
afterAll(async () => {
  await redis.close();
  await server.stop();
});

type Step =
  | { op: 'start'; dt: number }
  | { op: 'starts'; dt: number; n: number }
  | { op: 'throttle'; dt: number; accepted: number; inFlight: number; pauseMs: number }
  | { op: 'success'; dt: number }
  /** A start made `ago` ms before now never went out (its slot came back unused). */
  | { op: 'unsent'; dt: number; ago: number };

/** Runs the steps through the Lua functions; returns the estimate after each as [rate, flash, probing, window, heldRate, periodMs, levelAt, levelStarts, probeAt, probeStarts, requests, perMs]. */
const SCRIPT = `${LUA_RULES}
local v, now, out = {}, 0, {}
local i = 1
while i <= #ARGV do
  local op, dt = ARGV[i], tonumber(ARGV[i + 1])
  now = now + dt
  if op == 'start' then
    count_start(v, now)
    i = i + 2
  elseif op == 'starts' then
    for _ = 1, tonumber(ARGV[i + 2]) do count_start(v, now) end
    i = i + 3
  elseif op == 'success' then
    if v.rr ~= nil and step_up(v, now) then estimate_limits(v) end
    i = i + 2
  elseif op == 'unsent' then
    if v.rr ~= nil then uncount_start(v, now - tonumber(ARGV[i + 2])) end
    i = i + 3
  else
    local accepted, inflight, resume = tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), now + tonumber(ARGV[i + 4])
    if v.rr ~= nil then estimate_after_throttle(v, accepted, inflight, now, resume)
    elseif accepted > 0 then first_estimate(v, accepted, resume) end
    if v.rr ~= nil then estimate_limits(v) end
    i = i + 5
  end
  if v.rr == nil then out[#out + 1] = 'none'
  else
    local probing, window = 0, 0
    if v.pg then probing = 1 end
    if v.wn then window = 1 end
    out[#out + 1] = table.concat({ fmt(v.rr), fmt(v.fl), probing, window, fmt(v.hr), fmt(v.pd), fmt(v.lt), fmt(v.la), fmt(v.pt), fmt(v.pn), fmt(v.lr), fmt(v.lp) }, ' ')
  end
end
return out
`;

function inTypeScript(steps: Step[]): string[] {
  let estimate: RateEstimate | undefined;
  let learned: { requests: number; perMs: number } | undefined;
  let now = 0;
  const out: string[] = [];
  for (const step of steps) {
    now += step.dt;
    if (step.op === 'start') {
      if (estimate) countStart(estimate, now);
    } else if (step.op === 'starts') {
      for (let i = 0; i < step.n && estimate; i++) countStart(estimate, now);
    } else if (step.op === 'success') {
      if (estimate && stepUp(estimate, now)) learned = estimateLimits(estimate);
    } else if (step.op === 'unsent') {
      if (estimate) uncountStart(estimate, now - step.ago);
    } else {
      const resume = now + step.pauseMs;
      if (estimate) estimateAfterThrottle(estimate, step.accepted, step.inFlight, now, resume);
      else if (step.accepted > 0) estimate = firstEstimate(step.accepted, resume);
      if (estimate) learned = estimateLimits(estimate);
    }
    out.push(
      estimate
        ? [
            estimate.rate,
            estimate.flash,
            estimate.probing ? 1 : 0,
            estimate.window ? 1 : 0,
            estimate.heldRate,
            estimate.periodMs,
            estimate.levelAt,
            estimate.levelStarts,
            estimate.probeAt,
            estimate.probeStarts,
            learned!.requests,
            learned!.perMs,
          ].join(' ')
        : 'none',
    );
  }
  return out;
}

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('start' as const), dt: fc.integer({ min: 0, max: 120 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('success' as const), dt: fc.integer({ min: 0, max: 400 }) }) },
  // Long stretches at full use (or not), so that settled step ups, their failures and the doubling period occur.
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('starts' as const), dt: fc.integer({ min: 0, max: 60_000 }), n: fc.integer({ min: 0, max: 3000 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('success' as const), dt: fc.integer({ min: 0, max: 90_000 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('unsent' as const), dt: fc.integer({ min: 0, max: 50 }), ago: fc.integer({ min: 0, max: 2500 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('throttle' as const),
      dt: fc.integer({ min: 0, max: 200 }),
      accepted: fc.integer({ min: 0, max: 120 }),
      inFlight: fc.integer({ min: 0, max: 6 }),
      pauseMs: fc.integer({ min: 0, max: 3000 }),
    }),
  },
);

describe('the rate learner in Lua', () => {
  it('holds the same estimate as rate-learner.ts after every step of random runs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 120 }), async (steps) => {
        const args = steps.flatMap((s) =>
          s.op === 'throttle'
            ? [s.op, String(s.dt), String(s.accepted), String(s.inFlight), String(s.pauseMs)]
            : s.op === 'starts'
              ? [s.op, String(s.dt), String(s.n)]
              : s.op === 'unsent'
                ? [s.op, String(s.dt), String(s.ago)]
                : [s.op, String(s.dt)],
        );
        const lua = (await redis.command(['EVAL', SCRIPT, '0', ...args])) as string[];
        // Lua formats numbers with %.17g; compare as numbers.
        const parse = (line: string) => (line === 'none' ? line : line.split(' ').map(Number));
        expect(lua.map(parse)).toEqual(inTypeScript(steps).map(parse));
      }),
      {
        numRuns: 150,
        // Always: a window found by the probe, a settled step up that fails (back to what held, the period
        // doubled) twice, and a bucket.
        examples: [
          [
            [
              { op: 'throttle', dt: 300, accepted: 16, inFlight: 0, pauseMs: 1000 },
              { op: 'starts', dt: 1000, n: 17 },
              { op: 'throttle', dt: 250, accepted: 16, inFlight: 0, pauseMs: 1000 },
              { op: 'starts', dt: 31_000, n: 600 },
              { op: 'success', dt: 10 },
              { op: 'throttle', dt: 500, accepted: 20, inFlight: 0, pauseMs: 1000 },
              { op: 'starts', dt: 61_000, n: 1200 },
              { op: 'success', dt: 10 },
              { op: 'throttle', dt: 500, accepted: 20, inFlight: 0, pauseMs: 1000 },
              { op: 'throttle', dt: 2000, accepted: 10, inFlight: 0, pauseMs: 1000 },
            ],
          ],
          [
            [
              { op: 'throttle', dt: 50, accepted: 6, inFlight: 0, pauseMs: 1000 },
              { op: 'starts', dt: 1000, n: 24 },
              { op: 'success', dt: 500 },
              { op: 'throttle', dt: 700, accepted: 24, inFlight: 0, pauseMs: 1000 },
            ],
          ],
          // A bucket whose rate the probe's whole run bounds better than its last second does.
          [
            [
              { op: 'throttle', dt: 50, accepted: 6, inFlight: 0, pauseMs: 1000 },
              { op: 'starts', dt: 1500, n: 36 },
              { op: 'throttle', dt: 0, accepted: 24, inFlight: 1, pauseMs: 1000 },
            ],
          ],
          // On the edge between a window and a bucket (bucket rate exactly half the flash).
          [
            [
              { op: 'throttle', dt: 50, accepted: 16, inFlight: 0, pauseMs: 1000 },
              { op: 'throttle', dt: 1200, accepted: 23, inFlight: 0, pauseMs: 1000 },
            ],
          ],
        ],
      },
    );
  });
});
